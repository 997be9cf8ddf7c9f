// sqlite3_db_config is variadic, which Swift cannot call: the settings the Store takes from it.
#ifndef OFFERLOOP_SQLITE_OPTIONS_H
#define OFFERLOOP_SQLITE_OPTIONS_H
#include "sqlite_nio_sqlite3.h"

/// Query planner stability (SQLITE_DBCONFIG_ENABLE_QPSG) on this connection: a prepared
/// statement keeps its plan whatever is bound to it. Without it SQLite plans `LIMIT $n` with the
/// bound number and prepares the statement again at every new binding. SQLITE_OK or an error code.
int offerloop_sqlite_enable_stable_plans(sqlite3 *db);

#endif
