#include "fmcib/probe/cross_validation.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "fmcib/config/error.hpp"

namespace fmcib::probe {

std::vector<int> stratifiedKFold(const std::vector<int64_t>& labels, int folds) {
  const size_t n = labels.size();
  if (folds < 2) throw InputError("cross-validation needs at least 2 folds, got " + std::to_string(folds));
  if (static_cast<size_t>(folds) > n)
    throw InputError("cannot split " + std::to_string(n) + " rows into " + std::to_string(folds) + " folds");
  // Classes in order of first appearance.
  std::map<int64_t, int> order;
  std::vector<int> encoded(n);
  for (size_t i = 0; i < n; ++i) {
    auto it = order.emplace(labels[i], static_cast<int>(order.size())).first;
    encoded[i] = it->second;
  }
  const size_t classes = order.size();
  std::vector<int64_t> counts(classes, 0);
  for (int c : encoded) ++counts[static_cast<size_t>(c)];
  if (std::all_of(counts.begin(), counts.end(), [&](int64_t c) { return c < folds; }))
    throw InputError("n_splits=" + std::to_string(folds) +
                     " cannot be greater than the number of members in each class");
  // allocation[f][c] = how many of class c fold f tests: deal the sorted labels round-robin.
  std::vector<int> sorted = encoded;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int64_t>> allocation(static_cast<size_t>(folds), std::vector<int64_t>(classes, 0));
  for (size_t i = 0; i < n; ++i) ++allocation[i % static_cast<size_t>(folds)][static_cast<size_t>(sorted[i])];
  std::vector<int> testFold(n);
  for (size_t c = 0; c < classes; ++c) {
    std::vector<int> blocks;  // np.arange(folds).repeat(allocation[:, c])
    for (int f = 0; f < folds; ++f)
      blocks.insert(blocks.end(), static_cast<size_t>(allocation[static_cast<size_t>(f)][c]), f);
    size_t next = 0;
    for (size_t i = 0; i < n; ++i)
      if (static_cast<size_t>(encoded[i]) == c) testFold[i] = blocks[next++];
  }
  return testFold;
}

std::vector<int64_t> foldRows(const std::vector<int>& foldOf, int fold, bool in) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < foldOf.size(); ++i)
    if ((foldOf[i] == fold) == in) rows.push_back(static_cast<int64_t>(i));
  return rows;
}

}  // namespace fmcib::probe
