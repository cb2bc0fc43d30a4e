// The registry schema as an ordered list of migrations, and the code that applies them.
// Together with the SQLite backend this is the only place in mlloop that contains SQL.
//
// Each migration runs in its own transaction and is recorded in
// schema_migrations(version, name, applied_at). A migration, once released, never changes:
// a schema change is a new migration at the end of the list.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sqlite_db.h"

namespace mlloop::store {

struct Migration {
  int version;            // 1, 2, 3 ... in order, no gaps
  std::string_view name;  // short description, stored in schema_migrations
  std::string_view sql;   // one or more statements
};

// All migrations this build knows, in order.
const std::vector<Migration>& RegistryMigrations();

// The highest version in RegistryMigrations().
int LatestSchemaVersion();

// The highest version applied to `db`, or 0 for a database never migrated.
Result<int> SchemaVersion(SqliteDb& db);

// Applies every migration not yet recorded in `db`, each in one transaction, in order.
// Idempotent. FailedPrecondition when `db` was migrated by a newer mlloop (its version is
// higher than LatestSchemaVersion()); the database is left untouched in that case.
Status Migrate(SqliteDb& db);

}  // namespace mlloop::store
