#include "fhir/search/doctor_list_page.h"

#include <algorithm>

#include "registry/date.h"

namespace nara::fhir {
namespace {

// The role whose list the query is, when it is nothing but a page of one role's list in id order.
const SearchValue* OneRolesList(const SearchQuery& query) {
  if (query.type != "Patient" || query.criteria.size() != 1 || !query.includes.empty() ||
      !query.revincludes.empty() || query.sort.key != SortKey::id || query.sort.descending || query.offset != 0 ||
      query.count <= 0 || (query.cursor && query.cursor->before)) {
    return nullptr;
  }
  const SearchCriterion& criterion = query.criteria.front();
  if (criterion.kind != SearchKind::general_practitioner || criterion.any_of.size() != 1) return nullptr;
  const SearchValue& value = criterion.any_of.front();
  return value.target_type == "PractitionerRole" ? &value : nullptr;
}

}  // namespace

std::vector<const StoredResource*> KeptPage::Matches() const {
  std::vector<const StoredResource*> matches;
  matches.reserve(answers.size());
  for (const auto& answer : answers) matches.push_back(answer.get());
  return matches;
}

Result<std::optional<KeptPage>> DoctorsListPage(ResourceStore& store, PatientAnswerCache& answers,
                                                const SearchQuery& query) {
  const SearchValue* role = OneRolesList(query);
  if (role == nullptr || !answers.live()) return std::optional<KeptPage>();
  const auto on = Date::Parse(role->range_start);  // the list's date (the search handler's today)
  if (!on) return std::optional<KeptPage>();

  PatientAnswerCache::PatientIds list = answers.FindList(role->value, *on);
  if (!list) {
    const std::uint64_t stamp = answers.StampLists();  // before the read: see PatientAnswerCache::Fill
    auto read = store.Autocommit([&](ResourceTransaction& tx) -> Status {
      list = std::make_shared<const std::vector<std::string>>(tx.Registry().PatientsOfDoctor(role->value, *on));
      return Ok();
    });
    if (!read) return read.error();
    answers.FillList(role->value, stamp, list, *on);
  }

  // After the cursor's patient. The list is in the database's order, which this server cannot
  // reproduce (collation): a cursor whose patient has left the list goes the general way.
  auto from = list->begin();
  if (query.cursor) {
    from = std::find(list->begin(), list->end(), query.cursor->id);
    if (from == list->end()) return std::optional<KeptPage>();
    ++from;
  }
  const auto left = static_cast<std::size_t>(list->end() - from);
  const std::size_t take = std::min(left, static_cast<std::size_t>(query.count));

  KeptPage page;
  page.answers.reserve(take);
  for (auto it = from; it != from + static_cast<std::ptrdiff_t>(take); ++it) {
    auto kept = answers.Find(*it, *on);
    if (!kept) return std::optional<KeptPage>();
    page.answers.push_back(std::move(kept));
  }
  page.has_more = left > take;
  page.has_previous = query.cursor.has_value();  // as the store reports a cursor page
  if (query.want_total) page.total = static_cast<long>(list->size());
  return std::optional<KeptPage>(std::move(page));
}

}  // namespace nara::fhir
