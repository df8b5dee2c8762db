import { configureStore } from '@reduxjs/toolkit';
import { setupListeners } from '@reduxjs/toolkit/query';
import { api } from '../api/api';
import { realtime } from '../api/realtime';

export function makeStore() {
  const store = configureStore({
    reducer: { [api.reducerPath]: api.reducer },
    middleware: (gDM) => gDM().concat(api.middleware),
  });
  setupListeners(store.dispatch);
  // The server could not replay what we missed: refetch everything on screen.
  realtime.subscribe((e) => {
    if (e.type === 'resync') store.dispatch(api.util.invalidateTags(['Chat', 'Message', 'Share', 'Device', 'Sync', 'Contact', 'Favorite']));
  });
  return store;
}
export type AppStore = ReturnType<typeof makeStore>;
