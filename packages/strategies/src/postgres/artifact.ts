/** The artifact a postgres backup stores, by `format`: what backup writes, and check and restore read. */
export const ARTIFACT = { custom: 'database.dump', plain: 'database.sql.gz' } as const;
