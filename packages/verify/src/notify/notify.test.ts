import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecretResolver, type NotifyChannel } from '@lifeboat/core';
import { SMTPServer } from 'smtp-server';
import { describe, expect, test as base } from 'vitest';
import type { Alert } from './alert.js';
import { pingChannels, sendAlert } from './notify.js';

// Real servers on 127.0.0.1, one per file; each test starts from a clean record.

interface HttpRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface HttpRecorder {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: HttpRequest[];
  /** The status for the nth (1-based) request to a path; 200 unless a test says otherwise. */
  answer: (path: string, nth: number) => number;
}

interface Mail {
  from: string;
  to: string[];
  /** The login used, if any. */
  user: string | undefined;
  raw: string;
}

interface SmtpRecorder {
  port: number;
  mails: Mail[];
  logins: number;
  /** How many of the next MAIL FROM commands to answer with 451 (try again later). */
  deferNext: number;
}

const SMTP_USER = 'alerts';
/** With characters that must be percent-encoded in a URL. */
const SMTP_PASSWORD = 'p@ss:w0rd/9';

async function startHttpRecorder(): Promise<HttpRecorder & { close: () => Promise<void> }> {
  const recorder: HttpRecorder = { origin: '', requests: [], answer: () => 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      recorder.requests.push(request);
      const path = new URL(request.url, 'http://x').pathname;
      const nth = recorder.requests.filter((r) => new URL(r.url, 'http://x').pathname === path).length;
      res.writeHead(recorder.answer(path, nth)).end('ok\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.assign(recorder, { close });
}

async function startSmtpRecorder(): Promise<SmtpRecorder & { close: () => Promise<void> }> {
  const recorder: SmtpRecorder = { port: 0, mails: [], logins: 0, deferNext: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      recorder.logins++;
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: SMTP_USER });
      else callback(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, callback) {
      if (recorder.deferNext === 0) return callback();
      recorder.deferNext--;
      callback(Object.assign(new Error('Greylisted, try again later'), { responseCode: 451 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        recorder.mails.push({
          from: from ? from.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.port = (server.server.address() as AddressInfo).port;
  return Object.assign(recorder, { close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

const test = base.extend<{
  $file: { httpServer: HttpRecorder; smtpServer: SmtpRecorder };
  $test: { http: HttpRecorder; smtp: SmtpRecorder };
}>({
  httpServer: [
    async ({}, use) => {
      const server = await startHttpRecorder();
      try {
        await use(server);
      } finally {
        await server.close();
      }
    },
    { scope: 'file' },
  ],
  smtpServer: [
    async ({}, use) => {
      const server = await startSmtpRecorder();
      try {
        await use(server);
      } finally {
        await server.close();
      }
    },
    { scope: 'file' },
  ],
  http: async ({ httpServer }, use) => {
    httpServer.requests = [];
    httpServer.answer = () => 200;
    await use(httpServer);
  },
  smtp: async ({ smtpServer }, use) => {
    Object.assign(smtpServer, { mails: [], logins: 0, deferNext: 0 });
    await use(smtpServer);
  },
});

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    severity: 'sev1',
    title: 'Backup failed',
    message: 'pg_dump exited with code 1: connection refused',
    component: 'db',
    operation: 'backup',
    plan: 'civicq',
    host: 'backup-01',
    at: '2026-02-14T03:00:00.000Z',
    exitCode: 1,
    ...overrides,
  };
}

/** sendAlert's options with quick retries, collecting warnings. */
function options(env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const secrets = createSecretResolver({ env, planDir: '/' });
  return { warnings, opts: { secrets, version: '1.2.3', onWarning: (s: string) => warnings.push(s), retryDelaysMs: [5, 10] } };
}

/** Headers (unfolded, lower-cased names) and body of a raw message. */
function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.slice(split + 4).replace(/\r\n/g, '\n') };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sendAlert to a webhook', () => {
  test('posts the alert as JSON, with a lifeboat user agent', async ({ http }) => {
    const { warnings, opts } = options();
    const channels: NotifyChannel[] = [{ type: 'webhook', url: `${http.origin}/hooks/ops`, severities: ['sev1', 'sev2'] }];

    const result = await sendAlert(channels, alert(), opts);

    expect(result).toEqual({ delivered: [`webhook ${http.origin}/hooks/ops`], failed: [] });
    expect(warnings).toEqual([]);
    const [request] = http.requests;
    expect(http.requests).toHaveLength(1);
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/ops' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe('lifeboat/1.2.3');
    expect(JSON.parse(request!.body)).toEqual({ ...alert(), text: '[lifeboat] SEV1 civicq: Backup failed' });
  });

  test('retries a failing receiver and delivers on the third attempt', async ({ http }) => {
    http.answer = (_path, nth) => (nth <= 2 ? 500 : 204);
    const { warnings, opts } = options();

    const result = await sendAlert([{ type: 'webhook', url: `${http.origin}/hooks/flaky`, severities: ['sev1'] }], alert(), opts);

    expect(result.delivered).toEqual([`webhook ${http.origin}/hooks/flaky`]);
    expect(http.requests).toHaveLength(3);
    expect(warnings).toEqual([]);
  });

  test('gives up after 3 attempts with a sentence that names the channel but not its token', async ({ http }) => {
    http.answer = () => 503;
    const { warnings, opts } = options();
    const channels: NotifyChannel[] = [{ type: 'webhook', url: `${http.origin}/hooks/down?token=s3cr3t-token`, severities: ['sev2'] }];

    const result = await sendAlert(channels, alert({ severity: 'sev2' }), opts);

    expect(result).toEqual({ delivered: [], failed: [`webhook ${http.origin}/hooks/down`] });
    expect(http.requests).toHaveLength(3);
    expect(warnings).toEqual([
      `Could not send the sev2 alert "Backup failed" to webhook ${http.origin}/hooks/down: it answered 503 Service Unavailable (3 attempts).`,
    ]);
  });

  test('does not retry an answer that will not change', async ({ http }) => {
    http.answer = () => 404;
    const { warnings, opts } = options();

    await sendAlert([{ type: 'webhook', url: `${http.origin}/hooks/gone`, severities: ['sev1'] }], alert(), opts);

    expect(http.requests).toHaveLength(1);
    expect(warnings).toEqual([`Could not send the sev1 alert "Backup failed" to webhook ${http.origin}/hooks/gone: it answered 404 Not Found.`]);
  });

  test('resolves an env: URL when sending, logs in with its userinfo, and never shows what it holds', async ({ http }) => {
    http.answer = () => 500;
    const { warnings, opts } = options({ ALERT_HOOK: `http://bot:hunter22@${http.origin.slice('http://'.length)}/hooks/T01/B02?token=tok-789` });

    const result = await sendAlert([{ type: 'webhook', url: 'env:ALERT_HOOK', severities: ['sev1'] }], alert(), opts);

    expect(result.failed).toEqual(['webhook env:ALERT_HOOK']);
    expect(http.requests[0]!.url).toBe('/hooks/T01/B02?token=tok-789');
    expect(http.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('bot:hunter22').toString('base64')}`);
    expect(warnings).toEqual(['Could not send the sev1 alert "Backup failed" to webhook env:ALERT_HOOK: it answered 500 Internal Server Error (3 attempts).']);
  });

  test('reports an unset env: reference as a warning', async () => {
    const { warnings, opts } = options();

    const result = await sendAlert([{ type: 'webhook', url: 'env:ALERT_HOOK', severities: ['sev1'] }], alert(), opts);

    expect(result.failed).toEqual(['webhook env:ALERT_HOOK']);
    expect(warnings).toEqual([
      'Could not send the sev1 alert "Backup failed" to webhook env:ALERT_HOOK: notify[0].url refers to env:ALERT_HOOK, which is not set.',
    ]);
  });

  test('reports a receiver that is not listening', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hooks/ops`;
    const { warnings, opts } = options();

    await expect(sendAlert([{ type: 'webhook', url, severities: ['sev1'] }], alert(), opts)).resolves.toEqual({ delivered: [], failed: [`webhook ${url}`] });
    expect(warnings).toEqual([`Could not send the sev1 alert "Backup failed" to webhook ${url}: the connection was refused (3 attempts).`]);
  });
});

describe('sendAlert routing', () => {
  test('sends an alert only to the channels that list its severity', async ({ http, smtp }) => {
    const { warnings, opts } = options();
    const smtpUrl = `smtp://127.0.0.1:${smtp.port}`;
    const channels: NotifyChannel[] = [
      { type: 'webhook', url: `${http.origin}/pager`, severities: ['sev1'] },
      { type: 'webhook', url: `${http.origin}/tickets`, severities: ['sev3'] },
      { type: 'webhook', url: `${http.origin}/chat`, severities: ['sev1', 'sev2', 'sev3'] },
      { type: 'email', smtp: smtpUrl, from: 'lifeboat@civicq.org', to: ['ops@civicq.org'], severities: ['sev1', 'sev2'] },
      { type: 'email', smtp: smtpUrl, from: 'lifeboat@civicq.org', to: ['tickets@civicq.org'], severities: ['sev3'] },
      { type: 'ping', url: `${http.origin}/hc/uuid` },
    ];

    const result = await sendAlert(channels, alert({ severity: 'sev3', title: 'Nearing RPO' }), opts);

    expect(result).toEqual({
      delivered: [`webhook ${http.origin}/tickets`, `webhook ${http.origin}/chat`, `email to tickets@civicq.org via ${smtpUrl}`],
      failed: [],
    });
    expect(http.requests.map((r) => r.url).sort()).toEqual(['/chat', '/tickets']);
    expect(smtp.mails.map((m) => m.to)).toEqual([['tickets@civicq.org']]);
    expect(warnings).toEqual([]);
  });
});

describe('sendAlert by email', () => {
  test('sends a plain-text email with the severity, plan and title in the subject', async ({ smtp }) => {
    const { warnings, opts } = options();
    const channel: NotifyChannel = {
      type: 'email',
      smtp: `smtp://127.0.0.1:${smtp.port}`,
      from: 'lifeboat@civicq.org',
      to: ['ops@civicq.org', 'oncall@civicq.org'],
      severities: ['sev1'],
    };

    const result = await sendAlert([channel], alert(), opts);

    expect(result.delivered).toEqual([`email to ops@civicq.org, oncall@civicq.org via smtp://127.0.0.1:${smtp.port}`]);
    expect(warnings).toEqual([]);
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({ from: 'lifeboat@civicq.org', to: ['ops@civicq.org', 'oncall@civicq.org'], user: undefined });
    const { headers, body } = parseMail(mail!.raw);
    expect(headers['subject']).toBe('[lifeboat] SEV1 civicq: Backup failed');
    expect(headers['to']).toBe('ops@civicq.org, oncall@civicq.org');
    expect(headers['x-lifeboat-severity']).toBe('sev1');
    expect(body).toContain('pg_dump exited with code 1: connection refused');
    expect(body).toContain('Component: db');
    expect(body).toContain('Host:      backup-01');
    expect(body).toContain('Time:      2026-02-14T03:00:00.000Z');
  });

  test('logs in with the user and password of the SMTP URL in env:SMTP_URL', async ({ smtp }) => {
    const { warnings, opts } = options({ SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}` });
    const channel: NotifyChannel = { type: 'email', smtp: 'env:SMTP_URL', from: 'lifeboat@civicq.org', to: ['ops@civicq.org'], severities: ['sev1'] };

    const result = await sendAlert([channel], alert(), opts);

    expect(result.delivered).toEqual(['email to ops@civicq.org via env:SMTP_URL']);
    expect(warnings).toEqual([]);
    expect(smtp.mails.map((m) => m.user)).toEqual([SMTP_USER]);
  });

  test('reports a refused login once, without the password', async ({ smtp }) => {
    const { warnings, opts } = options({ SMTP_URL: `smtp://${SMTP_USER}:wrong-horse-battery@127.0.0.1:${smtp.port}` });
    const channel: NotifyChannel = { type: 'email', smtp: 'env:SMTP_URL', from: 'lifeboat@civicq.org', to: ['ops@civicq.org'], severities: ['sev1'] };

    const result = await sendAlert([channel], alert(), opts);

    expect(result.failed).toEqual(['email to ops@civicq.org via env:SMTP_URL']);
    expect(smtp.logins).toBe(1);
    expect(smtp.mails).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Could not send the sev1 alert "Backup failed" to email to ops@civicq\.org via env:SMTP_URL: the mail server answered 535 .*\.$/);
    expect(warnings[0]).not.toContain('wrong-horse-battery');
  });

  test('tries again after a 4xx answer', async ({ smtp }) => {
    smtp.deferNext = 1;
    const { warnings, opts } = options();
    const channel: NotifyChannel = { type: 'email', smtp: `smtp://127.0.0.1:${smtp.port}`, from: 'lifeboat@civicq.org', to: ['ops@civicq.org'], severities: ['sev1'] };

    const result = await sendAlert([channel], alert(), opts);

    expect(result.failed).toEqual([]);
    expect(warnings).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
  });
});

describe('pingChannels', () => {
  test('signals start, success and fail, keeping the query', async ({ http }) => {
    const { opts } = options();
    const warnings: string[] = [];
    const channels: NotifyChannel[] = [
      { type: 'ping', url: `${http.origin}/hc/0f1e2d3c` },
      { type: 'webhook', url: `${http.origin}/hooks/ops`, severities: ['sev1', 'sev2', 'sev3'] },
    ];
    const pingOpts = { secrets: opts.secrets, onWarning: (s: string) => warnings.push(s), retryDelaysMs: [5] };

    await pingChannels(channels, 'start', pingOpts);
    await pingChannels(channels, 'success', pingOpts);
    const failed = await pingChannels([{ type: 'ping', url: `${http.origin}/hc/key/nightly?create=1` }], 'fail', { ...pingOpts, exitCode: 3 });

    expect(failed).toEqual({ delivered: [`ping ${http.origin}/hc/key/nightly`], failed: [] });
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /hc/0f1e2d3c/start', 'GET /hc/0f1e2d3c', 'GET /hc/key/nightly/fail?create=1']);
    expect(warnings).toEqual([]);
  });

  test('retries once, then warns', async ({ http }) => {
    http.answer = () => 500;
    const { opts } = options();
    const warnings: string[] = [];

    const result = await pingChannels([{ type: 'ping', url: `${http.origin}/hc/down` }], 'fail', {
      secrets: opts.secrets,
      onWarning: (s) => warnings.push(s),
      exitCode: 4,
      retryDelaysMs: [5],
    });

    expect(result.failed).toEqual([`ping ${http.origin}/hc/down`]);
    expect(http.requests.map((r) => r.url)).toEqual(['/hc/down/fail', '/hc/down/fail']);
    expect(warnings).toEqual([`Could not send the fail signal (exit code 4) to ping ${http.origin}/hc/down: it answered 500 Internal Server Error (2 attempts).`]);
  });
});
