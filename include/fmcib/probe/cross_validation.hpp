#pragma once
/// Cross-validation folds as scikit-learn's StratifiedKFold(n_splits, shuffle=False) builds them
/// (scikit-learn 1.2 `_make_test_folds`): classes are numbered in order of first appearance, the
/// per-fold count of each class comes from dealing the sorted labels round-robin over the folds,
/// and each class's rows, in file order, fill fold 0 first, then fold 1, ...
#include <cstdint>
#include <vector>

namespace fmcib::probe {

/// The test fold (0 .. folds-1) of every row. InputError when folds < 2 or folds > rows, or when
/// every class has fewer rows than folds (scikit-learn's error; a single small class only makes
/// some folds miss it, which the caller should refuse with a better message).
std::vector<int> stratifiedKFold(const std::vector<int64_t>& labels, int folds);

/// The rows whose fold is (`in` = true) or is not (`in` = false) `fold`, ascending.
std::vector<int64_t> foldRows(const std::vector<int>& foldOf, int fold, bool in);

}  // namespace fmcib::probe
