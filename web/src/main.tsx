import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { makeStore } from './app/store';
import './app/app.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={makeStore()} />
  </StrictMode>,
);
