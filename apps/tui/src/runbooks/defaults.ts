import type { Runbook } from '@lifeboat/core';

/**
 * The guide's four "Disaster Recovery Scenarios" as checklists. Data, not
 * code: a plan's `runbooks:` entry with the same id replaces one, a new id
 * adds one. Steps that Lifeboat can do are actions (`restore` runs the
 * wizard: beforeRestore hooks, --clean, typed confirmation, row counts,
 * afterRestore hooks; `target: tables` opens it on a table-level restore, `target: point` on a restore to a point in time); the guide's docker-compose and ufw commands are
 * CivicQ's, so here they are manual steps with the command in the detail — a
 * plan that wants them run says `command:` in its own copy of the runbook.
 * A runbook acts on the components its scenario is about (`about`, by name
 * or type; all of the plan's without it), whatever row the dashboard had
 * selected; that row only picks which one a restore restores when the
 * scenario is about several.
 */
export const DEFAULT_RUNBOOKS: readonly Runbook[] = [
  {
    id: 'database-corruption',
    title: 'Database corruption',
    detection: ['Application errors', 'Data inconsistencies', 'Cannot query the database'],
    about: ['postgres'],
    steps: [
      {
        title: 'Stop all writes',
        detail: 'Stop the services that write (guide: docker-compose stop backend celery-worker). The restore step runs the plan’s beforeRestore hooks too.',
      },
      { title: 'Assess the damage', detail: 'Connect with psql and try queries to find how far the damage goes.' },
      {
        title: 'If minor: try a repair',
        detail: 'REINDEX DATABASE <name>; then VACUUM FULL. Skip this step when the damage is major.',
      },
      { title: 'Check the backups are intact', detail: 'Re-reads every copy and compares sizes and sha256 with the manifests.', action: { type: 'verify' } },
      {
        title: 'If major: restore from the latest backup',
        detail: 'The wizard shows what will happen: hooks, whether the database is dropped, the row counts it compares.',
        action: { type: 'restore' },
      },
      {
        title: 'If major: restore to a point in time',
        detail:
          'For a component with pitr: (minutes of data lost, not a day). Type the time just before the corruption, with its zone, or latest. The wizard names the base backup and the WAL it will replay, and refuses a point the archive cannot reach before anything is touched. Into a throwaway server to look first, or into the data directory the server runs on (hooks stop it; type the name to confirm). CLI: lifeboat restore <component> --to-time TIME --to-dir DATADIR.',
        action: { type: 'restore', target: 'point' },
      },
      { title: 'Verify the status', detail: 'Age against the RPO, 3-2-1, last drill — read from the destinations.', action: { type: 'status' } },
      { title: 'Resume and smoke-test', detail: 'Start the services (afterRestore hooks do it after a restore) and run the health check.' },
    ],
  },
  {
    id: 'server-failure',
    title: 'Complete server failure',
    detection: ['The server does not answer (SSH, HTTP)', 'The instance or its disk is gone'],
    steps: [
      { title: 'Provision a new server', detail: 'From the system image if there is one (guide: Full System Backup), else a fresh instance.' },
      {
        title: 'Install Docker, deps and Lifeboat',
        detail: 'The plan and credentials are all Lifeboat needs: the catalog lives in the destinations, not on the lost server.',
      },
      { title: 'Clone the repository', detail: 'git clone https://github.com/your-org/civicq.git /opt/civicq' },
      { title: 'Check the backups are reachable', detail: 'Reads the catalog and journal from every destination.', action: { type: 'status' } },
      { title: 'Restore the configuration', detail: 'lifeboat restore config --to / (or extract config-latest.tar.gz).' },
      { title: 'Start the database and restore it', detail: 'docker-compose up -d postgres, then the restore wizard.', action: { type: 'restore', component: 'postgres' } },
      { title: 'Restore Redis', detail: 'lifeboat restore redis --to-dir /opt/civicq/data/redis (dump.rdb), then start Redis.' },
      { title: 'Start all services', detail: 'docker-compose up -d' },
      { title: 'Verify', detail: './scripts/health-check.sh' },
      { title: 'Update DNS if the IP changed', detail: 'The guide’s RTO for this scenario: 2–4 hours.' },
    ],
  },
  {
    id: 'data-deletion',
    title: 'Accidental data deletion',
    detection: ['Users or operators report missing records', 'Row counts dropped; audit logs show a delete'],
    about: ['postgres'],
    steps: [
      { title: 'Stop writes immediately', detail: 'docker-compose stop backend' },
      { title: 'Identify what was deleted and when', detail: 'Check the audit logs: which rows, which tables, at what time.' },
      {
        title: 'Restore the tables beside the live ones',
        detail:
          'Pick the backup from before the deletion and type the tables. They are copied into a new schema lifeboat_restored_<when> of the live database and compared by primary key: the report says, per table, how many rows the live table lacks. Nothing live is changed; no hooks run.',
        action: { type: 'restore', target: 'tables' },
      },
      {
        title: 'Copy back only the deleted rows',
        detail:
          'The same table restore, then the rows the live tables lack are inserted in one transaction (type the component’s name to confirm); rows the live tables have are never changed. CLI: lifeboat restore <component> --table … --into env:URL --copy-missing-rows --yes.',
        action: { type: 'restore', target: 'tables-copy' },
      },
      { title: 'Check the status', detail: 'RPO: up to 24 hours of data may be lost; say which.', action: { type: 'status' } },
    ],
  },
  {
    id: 'security-breach',
    title: 'Security breach',
    detection: ['Unexpected logins or access patterns', 'Alerts from intrusion detection', 'Data seen where it should not be'],
    steps: [
      { title: 'Isolate the system immediately', detail: 'sudo ufw deny all; docker-compose down' },
      { title: 'Assess the extent of the breach', detail: 'Review logs, check for unauthorized access, identify compromised data.' },
      { title: 'Check the backups are intact', detail: 'Before trusting a backup, re-read it: sizes and sha256 against the manifests.', action: { type: 'verify' } },
      {
        title: 'Restore from a known-good backup',
        detail: 'Pick a backup from before the breach occurred.',
        action: { type: 'restore' },
      },
      { title: 'Rotate ALL credentials', detail: 'Database passwords, API keys, JWT secrets, SSL certificates.' },
      { title: 'Apply security patches' },
      { title: 'Back up the clean system', detail: 'A fresh backup from after the recovery.', action: { type: 'backup' } },
      { title: 'Restore service gradually, monitored' },
      { title: 'Notify affected users', detail: 'As GDPR/CCPA require; see SECURITY.md for the full incident response plan.' },
    ],
  },
];
