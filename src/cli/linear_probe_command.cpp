// linear-probe: FMCIB's experiments/adaptation/linear/run.py (StandardScaler + scikit-learn
// LogisticRegression, C by cross-validation) on feature CSVs; the protocol is fmcib::probe.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/probe/linear_probe.hpp"
#include "fmcib/probe/probe_report.hpp"

namespace fmcib::cli {

namespace {

std::vector<double> parseCs(const std::string& text) {
  std::vector<double> Cs;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const std::optional<double> v = io::parseDecimal(part);
    if (!v) throw ConfigError("--C: '" + part + "' is not a number (expected e.g. --C 0.01,0.1,1)");
    Cs.push_back(*v);
  }
  if (!text.empty() && text.back() == ',') throw ConfigError("--C: '" + text + "' ends with a comma");
  probe::validateCs(Cs);
  return Cs;
}

struct LinearProbeArgs {
  probe::ProbeOptions probe;
  std::string Cs = "0.01,0.1,1";
  std::string solver = "lbfgs";
  double tol = 0;  // 0: the solver's default
  int64_t seed = 42;
  std::string out = "linear_probe";
};

}  // namespace

void installLinearProbeCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "linear-probe",
      "logistic regression on feature CSVs as FMCIB's experiments/adaptation/linear/run.py: StandardScaler, "
      "C by stratified cross-validation, test metrics with bootstrap intervals");
  auto a = std::make_shared<LinearProbeArgs>();
  sub->add_option("--train", a->probe.trainPath,
                  "training CSV (features + label), e.g. from `fmcib features`")
      ->required();
  sub->add_option("--test", a->probe.testPath, "test CSV with the same feature columns and a label")
      ->required();
  sub->add_option("--val", a->probe.valPath,
                  "validation CSV: choose C on it (fit on train, score on val) instead of cross-validation");
  sub->add_option("--label", a->probe.labelColumn, "label column (integers or text)")->required();
  sub->add_option("--features-regex", a->probe.featuresRegex,
                  "feature columns: names matching this regular expression anywhere (Python re.search)")
      ->capture_default_str();
  sub->add_option("--C", a->Cs, "inverse regularization strengths to try, comma-separated")
      ->capture_default_str();
  sub->add_option("--folds", a->probe.folds, "cross-validation folds (StratifiedKFold, no shuffle)")
      ->capture_default_str();
  sub->add_option("--bootstrap", a->probe.bootstrap, "bootstrap resamples of the test rows (0: no intervals)")
      ->capture_default_str();
  sub->add_option("--seed", a->seed, "bootstrap seed (numpy RandomState(seed).randint draws)")
      ->capture_default_str();
  sub->add_option(
         "--solver", a->solver,
         "lbfgs: scikit-learn's solver, step for step (tol 1e-4); newton: Newton-CG to the exact optimum "
         "(tol 1e-8 on the gradient norm)")
      ->check(CLI::IsMember({"lbfgs", "newton"}))
      ->capture_default_str();
  sub->add_option("--tol", a->tol, "solver tolerance (default: 1e-4 for lbfgs, 1e-8 for newton)");
  sub->add_option("--max-iter", a->probe.solver.maxIter, "solver iteration limit (scikit-learn's max_iter)")
      ->capture_default_str();
  sub->add_option("--out", a->out, "folder for probabilities.csv and metrics.json (created)")
      ->capture_default_str();
  sub->callback([a] {
    probe::ProbeOptions o = a->probe;
    o.Cs = parseCs(a->Cs);
    if (a->seed < 0 || a->seed > 4294967295LL)
      throw ConfigError("--seed must be in [0, 4294967295] (numpy's RandomState range), got " +
                        std::to_string(a->seed));
    o.seed = static_cast<uint32_t>(a->seed);
    o.solver.solver = a->solver == "newton" ? probe::Solver::kNewton : probe::Solver::kLbfgs;
    o.solver.tol = a->tol != 0 ? a->tol : (o.solver.solver == probe::Solver::kNewton ? 1e-8 : 1e-4);
    const probe::ProbeResult r = probe::runLinearProbe(o);
    for (const auto& w : r.warnings) spdlog::warn("{}", w);
    std::cout << probe::formatProbeReport(r);
    const probe::ProbeOutputs files = probe::writeProbeOutputs(r, a->out);
    std::cout << "\nwrote " << files.probabilities << " and " << files.metrics << "\n";
  });
}

}  // namespace fmcib::cli
