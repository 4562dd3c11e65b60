import { defineConfig } from 'prisma/config';

// The CLI only generates the client here; the broker applies migrations itself (src/db/migrator.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
