/**
 * `[--plan FILE | -p FILE | --plan=FILE] wal <sub> <operand>…` with exactly
 * `operands` operands and nothing else, as the lean paths of `wal push` and
 * `wal get` take it; anything else is undefined (main parses it).
 */
export function leanWalArgs(argv: string[], sub: 'push' | 'get', operands: number): { plan?: string; operands: string[] } | undefined {
  let plan: string | undefined;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const arg = argv[i]!;
    if ((arg === '--plan' || arg === '-p') && i + 1 < argv.length && plan === undefined) plan = argv[++i];
    else if (arg.startsWith('--plan=') && plan === undefined) plan = arg.slice('--plan='.length);
    else return undefined;
  }
  const rest = argv.slice(i);
  if (rest.length !== operands + 2 || rest[0] !== 'wal' || rest[1] !== sub || rest.some((a) => a.startsWith('-'))) return undefined;
  if (plan === '') return undefined;
  return { ...(plan !== undefined ? { plan } : {}), operands: rest.slice(2) };
}
