import type { CatalogEntry } from '@lifeboat/core';
import { choosesBackup, cleanApplies, confirmedAction, isProduction, needsConfirmation, readField, rehearsalOf, type Chosen, type Targets } from './targets.js';

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
  /** Which of the chosen target's fields is being typed (step `typing`). */
  field: number;
  /** What was typed into each of its fields. */
  typed: string[];
  target?: Chosen;
  clean: boolean;
  confirmText: string;
  /** Why the last key did not go on (shown under the field). */
  problem?: string;
  /** For a choice whose backup the strategy chooses (`choosesBackup`): the engine's answer for this target and clean. */
  preview?: Preview;
  /** How many previews were asked for: an answer to an older question is dropped. */
  asked: number;
}

/** What `previewRestore` answered, or that it is still being asked (`seq` names the question). */
export type Preview =
  | { seq: number; status: 'checking' }
  | { seq: number; status: 'ok'; backup: CatalogEntry; lines: string[] }
  | { seq: number; status: 'refused'; error: string };

export type RestoreAction =
  | { type: 'loaded'; entries: CatalogEntry[]; warnings: string[] }
  | { type: 'failed'; error: string }
  | { type: 'move'; by: number }
  | { type: 'next' }
  | { type: 'back' }
  | { type: 'text'; text: string }
  | { type: 'erase' }
  | { type: 'toggleClean' }
  | { type: 'previewed'; seq: number; backup: CatalogEntry; lines: string[] }
  | { type: 'refused'; seq: number; error: string }
  | { type: 'finished' };

/** `targetIndex`: the target offered first (a runbook step's `action.target`). */
export function initialRestore(component: string, preselected?: string, targetIndex = 0): RestoreState {
  return {
    component,
    step: 'backup',
    loading: true,
    warnings: [],
    ...(preselected ? { preselected } : {}),
    backupIndex: 0,
    targetIndex: Math.max(0, targetIndex),
    field: 0,
    typed: [],
    clean: false,
    confirmText: '',
    asked: 0,
  };
}

/** The wizard's steps as a pure function of where the component's backups can go. */
export function restoreReducer(targets: Targets) {
  const choices = targets.choices;
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
            return s.field > 0 ? { ...s, field: s.field - 1 } : { ...s, step: 'target' };
          case 'review': {
            const { preview: _dropped, ...rest } = s;
            return { ...rest, step: 'target' };
          }
          case 'confirm':
            return { ...s, step: 'review', confirmText: '' };
          default:
            return state;
        }
      case 'text':
      case 'erase': {
        const edit = (text: string) => (action.type === 'text' ? text + action.text : text.slice(0, -1));
        if (s.step === 'confirm') return { ...s, confirmText: edit(s.confirmText) };
        if (s.step !== 'typing') return state;
        const typed = [...s.typed];
        typed[s.field] = edit(typed[s.field] ?? '');
        return { ...s, typed };
      }
      case 'toggleClean':
        return s.step === 'review' && s.target && cleanApplies(targets, s.target.kind) ? ask({ ...s, clean: !s.clean }) : state;
      case 'previewed':
        return s.preview?.seq === action.seq ? { ...s, preview: { seq: action.seq, status: 'ok', backup: action.backup, lines: action.lines } } : state;
      case 'refused':
        return s.preview?.seq === action.seq ? { ...s, preview: { seq: action.seq, status: 'refused', error: action.error } } : state;
      case 'finished':
        return s.step === 'running' ? { ...s, step: 'done' } : state;
    }
  };

  /** Production is the guide's full restore: clean is on (drop and recreate a database, replace every key). Elsewhere nothing is dropped unless asked. */
  function chosen(s: RestoreState, target: Chosen): RestoreState {
    return ask({ ...s, step: 'review', target, clean: target.kind === 'production' });
  }

  /**
   * A choice whose backup the strategy chooses asks the engine again whenever
   * the request changes (the target, clean); a choice with a rehearsal runs
   * its dry run before the review can be confirmed.
   */
  function ask(s: RestoreState): RestoreState {
    if (!s.target || (!choosesBackup(targets, s.target) && !rehearsalOf(targets, s.target))) return s;
    return { ...s, asked: s.asked + 1, preview: { seq: s.asked + 1, status: 'checking' } };
  }

  function next(s: RestoreState, list: typeof choices): RestoreState {
    switch (s.step) {
      case 'backup':
        if (!s.entries) return { ...s, problem: 'still reading the catalog from the destinations' };
        return s.entries.length > 0 ? { ...s, step: 'target' } : { ...s, problem: 'there is no complete backup to restore' };
      case 'target': {
        const choice = list[s.targetIndex]!;
        // Back from the review to the same typed choice: what was typed is still there.
        if (choice.fields?.length) return { ...s, step: 'typing', field: 0, typed: s.target?.kind === choice.kind ? s.typed : [] };
        return chosen(s, { kind: choice.kind, value: (choice.value ?? choice.set?.to)! });
      }
      case 'typing': {
        const choice = list[s.targetIndex]!;
        const fields = choice.fields ?? [];
        const field = fields[s.field]!;
        const text = (s.typed[s.field] ?? '').trim();
        const { value, problem } = readField(targets, field, text);
        if (problem) return { ...s, problem };
        let target: Chosen;
        if (s.field === 0) {
          // The component's own target, typed: production, whatever it was typed into.
          target = { kind: field.into === 'to' && isProduction(targets, text) ? 'production' : choice.kind, value: text };
        } else {
          const { [field.into]: _previous, ...rest } = s.target!;
          target = { ...rest, kind: s.target!.kind, value: s.target!.value, ...(value === undefined ? {} : { [field.into]: value }) };
        }
        return s.field + 1 < fields.length ? { ...s, field: s.field + 1, target } : chosen(s, target);
      }
      case 'review':
        if (s.preview?.status === 'checking') return { ...s, problem: s.target && rehearsalOf(targets, s.target) ? 'the dry run has not answered yet' : 'still checking the backups and the WAL archive' };
        if (s.preview?.status === 'refused') return { ...s, problem: 'this restore would be refused (above); esc to change the point or the target' };
        return s.target && needsConfirmation(targets, s.target, s.clean) ? { ...s, step: 'confirm', confirmText: '' } : { ...s, step: 'running' };
      case 'confirm':
        return s.confirmText.trim() === s.component
          ? { ...s, step: 'running' }
          : { ...s, problem: `type ${s.component} exactly to ${confirmedAction(targets, s.target!)} (you typed "${s.confirmText}")` };
      default:
        return s;
    }
  }
}

export const chosenBackup = (s: RestoreState): CatalogEntry | undefined => s.entries?.[s.backupIndex];

/** The backup the restore uses: the one the engine chose for the target (`choosesBackup`), else the one picked from the list. */
export function restoredBackup(s: RestoreState): CatalogEntry | undefined {
  if (s.preview) return s.preview.status === 'ok' ? s.preview.backup : undefined;
  return chosenBackup(s);
}

function clamp(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(count - 1, Math.max(0, index));
}
