import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// In development the API runs on 8080; the built app is served by the gateway on the same origin.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': 'http://localhost:8080', '/ws': { target: 'ws://localhost:8080', ws: true } } },
  build: { outDir: 'dist', sourcemap: true },
});
