// The writes a transaction can leave to its end, sent in one statement (issue 15: a change of listing
// spent more of PostgreSQL's time around its statements than in them, so fewer statements per change
// matter more than their size): the registry rows it put (PgRegistry's pending rows), its audit rows
// and its subscription outbox rows. Internal to pg.
#pragma once

#include <pqxx/pqxx>
#include <vector>

#include "pg/internal/pg_registry.h"
#include "pg/internal/subscription_outbox.h"
#include "registry/audit.h"

namespace nara::pg {

// Sends what is not empty among rows, audit (validated by ValidateAuditRecord) and outbox as the
// sub-statements of one WITH: one round trip, one plan per combination. Nothing is sent when all are
// empty. Throws what pqxx throws (the caller's transaction is then lost whole).
void WriteTogether(pqxx::transaction_base& tx, const PendingRegistryRows& rows,
                   const std::vector<const AuditRecord*>& audit, const std::vector<OutboxEntry>& outbox);

}  // namespace nara::pg
