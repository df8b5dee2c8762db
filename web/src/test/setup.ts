import '@testing-library/jest-dom/vitest';
import { afterEach, beforeEach, vi } from 'vitest';
import { cleanup, configure } from '@testing-library/react';
import { realtime } from '../api/realtime';
import { setSession } from '../api/session';
import { FakeApi, FakeSocket } from './fake-network';

// findBy*/waitFor wait for what the screen shows, up to 10 s (the library's 1 s was overrun on a busy
// machine: a first render with its fetches took longer). Bounded, and a screen that never shows it still fails.
configure({ asyncUtilTimeout: 10_000 });

// jsdom lacks these browser APIs; they are environment, not our code.
class RO {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= RO as unknown as typeof ResizeObserver;
Element.prototype.scrollTo ??= function () {};
Element.prototype.scrollIntoView ??= function () {};
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.setAttribute('open', '');
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.removeAttribute('open');
};
// jsdom does no layout: give every element a window-sized box so virtualized lists render rows.
for (const [k, v] of [['clientHeight', 800], ['clientWidth', 600]] as const) Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
URL.createObjectURL ??= () => 'blob:fake';
URL.revokeObjectURL ??= () => undefined;

declare global {
  var fakeApi: FakeApi;
}

beforeEach(() => {
  globalThis.fakeApi = new FakeApi();
  vi.stubGlobal('fetch', globalThis.fakeApi.fetch);
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
});

afterEach(() => {
  cleanup();
  realtime.stop();
  setSession(null);
  localStorage.clear();
  vi.unstubAllGlobals();
});
