// PgMeasures: the MeasureStore port (registry/measures.h) over the typed registry tables
// (schema/0003_registry.sql) and, for patient contracts, the stored FHIR versions (0001_resources.sql).
// Each evaluation runs in one REPEATABLE READ, read-only transaction on a connection of its own pool,
// so every number of one MeasureReport comes from the same snapshot while writers go on.
#pragma once

#include <memory>
#include <string>

#include "registry/measures.h"

namespace nara::pg {

class ConnectionPool;
class ReadRouter;

class PgMeasures final : public MeasureStore {
 public:
  // role: as PgStore (SET ROLE on every connection); "" = the login role of url.
  explicit PgMeasures(const std::string& url, int pool_size = 2, std::string role = "");
  ~PgMeasures() override;

  using MeasureStore::Evaluate;
  Result<MeasureResult> Evaluate(const std::string& measure_id, Date period_end, const std::string& subject_unit_id,
                                 const ContinuityOptions& continuity) override;
  // One statement per measure for all the dates (the nine measures of sections 5 and 11; any other
  // falls back to MeasureStore::Trend), in one snapshot.
  Result<std::vector<TrendPoint>> Trend(const std::string& measure_id, const std::vector<Date>& dates,
                                        const std::string& subject_unit_id,
                                        const ContinuityOptions& continuity) override;
  Result<std::vector<UnitLabel>> UnitLabels() override;

  // Evaluations go through router (a hot standby, pg/read_routing.h); not owned, nullptr: the primary.
  void RouteReads(ReadRouter* router) { router_ = router; }

 private:
  std::unique_ptr<ConnectionPool> pool_;
  ReadRouter* router_ = nullptr;
};

}  // namespace nara::pg
