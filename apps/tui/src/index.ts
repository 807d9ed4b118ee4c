export { runTui } from './run-tui.js';
export { tuiRefusal } from './refusal.js';
export type { TuiOptions } from './services.js';
