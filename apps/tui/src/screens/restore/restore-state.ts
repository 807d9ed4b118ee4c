import type { CatalogEntry } from '@lifeboat/core';
import { isProduction, targetChoices, type Chosen, type Component } from './targets.js';

export type WizardStep = 'backup' | 'target' | 'typing' | 'review' | 'confirm' | 'running' | 'done';

export interface RestoreState {
  component: string;
  step: WizardStep;
  /** Newest first. */
  entries?: CatalogEntry[];
  loading: boolean;
  error?: string;
  warnings: string[];
  /** A backup chosen before the wizard opened (from the backup browser). */
  preselected?: string;
  backupIndex: number;
  targetIndex: number;
  typed: string;
  target?: Chosen;
  clean: boolean;
  confirmText: string;
  /** Why the last key did not go on (shown under the field). */
  problem?: string;
}

export type RestoreAction =
  | { type: 'loaded'; entries: CatalogEntry[]; warnings: string[] }
  | { type: 'failed'; error: string }
  | { type: 'move'; by: number }
  | { type: 'next' }
  | { type: 'back' }
  | { type: 'text'; text: string }
  | { type: 'erase' }
  | { type: 'toggleClean' }
  | { type: 'finished' };

export function initialRestore(component: string, preselected?: string): RestoreState {
  return {
    component,
    step: 'backup',
    loading: true,
    warnings: [],
    ...(preselected ? { preselected } : {}),
    backupIndex: 0,
    targetIndex: 0,
    typed: '',
    clean: false,
    confirmText: '',
  };
}

/** The wizard's steps as a pure function of the component's plan entry. */
export function restoreReducer(entry: Component) {
  const choices = targetChoices(entry);
  return (state: RestoreState, action: RestoreAction): RestoreState => {
    const { problem: _cleared, ...s } = state;
    switch (action.type) {
      case 'loaded': {
        const entries = [...action.entries].reverse();
        const index = state.preselected ? entries.findIndex((e) => e.id === state.preselected) : -1;
        return { ...s, loading: false, entries, warnings: action.warnings, ...(index >= 0 ? { backupIndex: index, step: 'target' } : {}) };
      }
      case 'failed':
        return { ...s, loading: false, error: action.error };
      case 'move':
        if (s.step === 'backup') return { ...s, backupIndex: clamp(s.backupIndex + action.by, s.entries?.length ?? 0) };
        if (s.step === 'target') return { ...s, targetIndex: clamp(s.targetIndex + action.by, choices.length) };
        return state;
      case 'next':
        return next(s, choices);
      case 'back':
        switch (s.step) {
          case 'target':
            return { ...s, step: 'backup' };
          case 'typing':
          case 'review':
            return { ...s, step: 'target' };
          case 'confirm':
            return { ...s, step: 'review', confirmText: '' };
          default:
            return state;
        }
      case 'text':
        if (s.step === 'typing') return { ...s, typed: s.typed + action.text };
        if (s.step === 'confirm') return { ...s, confirmText: s.confirmText + action.text };
        return state;
      case 'erase':
        if (s.step === 'typing') return { ...s, typed: s.typed.slice(0, -1) };
        if (s.step === 'confirm') return { ...s, confirmText: s.confirmText.slice(0, -1) };
        return state;
      case 'toggleClean':
        return s.step === 'review' && s.target?.kind !== 'drill' ? { ...s, clean: !s.clean } : state;
      case 'finished':
        return s.step === 'running' ? { ...s, step: 'done' } : state;
    }
  };

  function next(s: RestoreState, list: typeof choices): RestoreState {
    switch (s.step) {
      case 'backup':
        if (!s.entries) return { ...s, problem: 'still reading the catalog from the destinations' };
        return s.entries.length > 0 ? { ...s, step: 'target' } : { ...s, problem: 'there is no complete backup to restore' };
      case 'target': {
        const choice = list[s.targetIndex]!;
        if (choice.kind === 'typed') return { ...s, step: 'typing' };
        // Production is the guide's full restore: drop and recreate. Elsewhere nothing is dropped unless asked.
        return { ...s, step: 'review', target: { kind: choice.kind, value: choice.value! }, clean: choice.kind === 'production' };
      }
      case 'typing': {
        const value = s.typed.trim();
        if (!value) return { ...s, problem: 'type where to restore, e.g. env:RESTORE_URL' };
        const production = isProduction(entry, value);
        return { ...s, step: 'review', target: { kind: production ? 'production' : 'typed', value }, clean: production };
      }
      case 'review':
        return s.target?.kind === 'production' ? { ...s, step: 'confirm', confirmText: '' } : { ...s, step: 'running' };
      case 'confirm':
        return s.confirmText.trim() === s.component
          ? { ...s, step: 'running' }
          : { ...s, problem: `type ${s.component} exactly to restore over production (you typed "${s.confirmText}")` };
      default:
        return s;
    }
  }
}

export const chosenBackup = (s: RestoreState): CatalogEntry | undefined => s.entries?.[s.backupIndex];

function clamp(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(count - 1, Math.max(0, index));
}
