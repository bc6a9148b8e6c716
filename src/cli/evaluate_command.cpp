// evaluate: the linear probe's test metrics for another model's predictions (e.g. a fine-tuned
// model's `fmcib predict` output); metrics-table: several metrics.json side by side.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/probe/evaluation.hpp"
#include "fmcib/probe/probe_report.hpp"

namespace fmcib::cli {

namespace {

struct EvaluateArgs {
  probe::EvaluationOptions evaluation;
  int64_t seed = 42;
  std::string out = "evaluation";
};

}  // namespace

void installEvaluateCommands(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "evaluate",
      "test metrics of a CSV of class probabilities (e.g. `fmcib predict` with a fine-tuned model), with the "
      "linear probe's bootstrap intervals");
  auto a = std::make_shared<EvaluateArgs>();
  sub->add_option("--predictions", a->evaluation.predictionsPath,
                  "CSV with a label column and one probability column per class (class k: the k-th match)")
      ->required();
  sub->add_option("--label", a->evaluation.labelColumn, "label column: class indices 0 ... K-1")->required();
  sub->add_option("--proba-regex", a->evaluation.probaRegex,
                  "probability columns: names matching this regular expression anywhere")
      ->capture_default_str();
  sub->add_option("--bootstrap", a->evaluation.score.bootstrap,
                  "bootstrap resamples of the rows (0: no intervals)")
      ->capture_default_str();
  sub->add_option("--seed", a->seed, "bootstrap seed (numpy RandomState(seed).randint draws)")
      ->capture_default_str();
  sub->add_option("--out", a->out, "folder for metrics.json (created)")->capture_default_str();
  sub->callback([a] {
    probe::EvaluationOptions o = a->evaluation;
    if (a->seed < 0 || a->seed > 4294967295LL)
      throw ConfigError("--seed must be in [0, 4294967295] (numpy's RandomState range), got " +
                        std::to_string(a->seed));
    o.score.seed = static_cast<uint32_t>(a->seed);
    const probe::EvaluationResult r = probe::evaluatePredictions(o);
    for (const auto& w : r.warnings) spdlog::warn("{}", w);
    std::cout << probe::formatEvaluationReport(r);
    std::cout << "\nwrote " << probe::writeEvaluationJson(r, a->out) << "\n";
  });

  CLI::App* table = app.add_subcommand(
      "metrics-table",
      "one table of AUROC, mAP and balanced accuracy (with intervals) from metrics.json files");
  auto rows = std::make_shared<std::vector<std::string>>();
  table->add_option("rows", *rows, "NAME=metrics.json (of linear-probe or evaluate), one per table row")
      ->required();
  table->callback([rows] {
    std::vector<probe::MetricsRow> read;
    for (const auto& r : *rows) {
      const size_t eq = r.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
        throw ConfigError("metrics-table: '" + r + "' is not NAME=metrics.json");
      read.push_back(probe::readMetricsJson(r.substr(0, eq), r.substr(eq + 1)));
    }
    std::cout << probe::formatMetricsTable(read);
  });
}

}  // namespace fmcib::cli
