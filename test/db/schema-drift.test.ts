import { readFile } from 'node:fs/promises';
import internals from '@prisma/internals';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const PG_TYPE: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp with time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
}

/** Prisma's DMMF against the migrated database: a drift fails here, not in production. */
describe('schema.prisma and the migrations agree', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('every model field is a column of the same type and nullability, and nothing more', async () => {
    const dmmf = await internals.getDMMF({
      datamodel: await readFile('prisma/schema.prisma', 'utf8'),
    });
    const { rows } = await db.pool.query<Column>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const actual = rows.map((c) => {
      const list = c.data_type === 'ARRAY';
      const type = list ? c.udt_name.replace(/^_/, '') : c.data_type;
      return `${c.table_name}.${c.column_name}: ${list ? `${type === 'text' ? 'text' : type}[]` : type}${c.is_nullable === 'YES' && !list ? '?' : ''}`;
    });
    const expected = dmmf.datamodel.models.flatMap((m) =>
      m.fields
        .filter((f) => f.kind === 'scalar')
        .map((f) => {
          const type = PG_TYPE[f.type] ?? f.type;
          return `${m.dbName ?? m.name}.${f.dbName ?? f.name}: ${f.isList ? `${type}[]` : type}${f.isRequired || f.isList ? '' : '?'}`;
        }),
    );
    expect(actual.sort()).toEqual(expected.sort());
  });

  it('every index and unique constraint of the schema exists', async () => {
    const dmmf = await internals.getDMMF({
      datamodel: await readFile('prisma/schema.prisma', 'utf8'),
    });
    const { rows } = await db.pool.query<{ tablename: string; indexdef: string }>(
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    );
    const actual = rows.map((r) => {
      const cols = /\((.*)\)$/.exec(r.indexdef)?.[1]?.replace(/"/g, '') ?? '';
      return `${r.tablename}(${cols})${/UNIQUE/.test(r.indexdef) ? ' unique' : ''}`;
    });
    const models = new Map(dmmf.datamodel.models.map((m) => [m.name, m]));
    const expected = dmmf.datamodel.indexes.map((ix) => {
      const m = models.get(ix.model)!;
      const col = (name: string) => m.fields.find((f) => f.name === name)?.dbName ?? name;
      return `${m.dbName ?? m.name}(${ix.fields.map((f) => col(f.name)).join(', ')})${ix.type === 'normal' ? '' : ' unique'}`;
    });
    expect(actual.sort()).toEqual(expected.sort());
  });
});
