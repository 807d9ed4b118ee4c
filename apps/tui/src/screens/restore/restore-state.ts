import type { CatalogEntry } from '@lifeboat/core';
import { cleanApplies, confirmedAction, isProduction, needsConfirmation, parseOwner, targetChoices, typedProblem, type Chosen, type Component } from './targets.js';

export type WizardStep = 'backup' | 'target' | 'typing' | 'owner' | 'review' | 'confirm' | 'running' | 'done';

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
  /** `--owner` as typed, for a redis `--to-dir` restore; empty is none. */
  ownerText: string;
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
    ownerText: '',
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
          case 'owner':
            return { ...s, step: 'typing' };
          case 'confirm':
            return { ...s, step: 'review', confirmText: '' };
          default:
            return state;
        }
      case 'text':
      case 'erase': {
        const field = FIELDS[s.step];
        if (!field) return state;
        return { ...s, [field]: action.type === 'text' ? s[field] + action.text : s[field].slice(0, -1) };
      }
      case 'toggleClean':
        return s.step === 'review' && s.target && cleanApplies(entry, s.target.kind) ? { ...s, clean: !s.clean } : state;
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
        // Back from the review to the same typed choice: what was typed is still there.
        if (choice.field) return { ...s, step: 'typing', typed: s.target?.kind === choice.kind ? s.typed : '' };
        return chosen(s, { kind: choice.kind, value: choice.value! });
      }
      case 'typing': {
        const choice = list[s.targetIndex]!;
        const value = s.typed.trim();
        const problem = choice.field && typedProblem(choice.field, value);
        if (problem) return { ...s, problem };
        if (choice.kind === 'dataDir') return { ...s, step: 'owner', target: { kind: 'dataDir', value } };
        return chosen(s, { kind: choice.kind === 'typed' && isProduction(entry, value) ? 'production' : choice.kind, value });
      }
      case 'owner': {
        const { owner, problem } = parseOwner(s.ownerText);
        if (problem) return { ...s, problem };
        const { owner: _previous, ...target } = s.target!;
        return chosen(s, { ...target, ...(owner ? { owner } : {}) });
      }
      case 'review':
        return s.target && needsConfirmation(s.target, s.clean) ? { ...s, step: 'confirm', confirmText: '' } : { ...s, step: 'running' };
      case 'confirm':
        return s.confirmText.trim() === s.component
          ? { ...s, step: 'running' }
          : { ...s, problem: `type ${s.component} exactly to ${confirmedAction(s.target!)} (you typed "${s.confirmText}")` };
      default:
        return s;
    }
  }
}

/** The steps whose keys go into a text field, and which field. */
const FIELDS: Partial<Record<WizardStep, 'typed' | 'ownerText' | 'confirmText'>> = { typing: 'typed', owner: 'ownerText', confirm: 'confirmText' };

/** Production is the guide's full restore: drop and recreate (postgres), replace every key (redis). Elsewhere nothing is dropped unless asked. */
function chosen(s: RestoreState, target: Chosen): RestoreState {
  return { ...s, step: 'review', target, clean: target.kind === 'production' };
}

export const chosenBackup = (s: RestoreState): CatalogEntry | undefined => s.entries?.[s.backupIndex];

function clamp(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(count - 1, Math.max(0, index));
}
