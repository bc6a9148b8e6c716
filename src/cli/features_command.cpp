// `fmcib features --csv IN.csv --weights model_weights.torch [--out OUT.csv] ...`: the Python
// package's quick start, fmcib.run.get_features (the loop lives in the engine area).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "config_options.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/engine/features.hpp"

namespace fmcib::cli {

void installFeaturesCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* sub = app.add_subcommand(
      "features",
      "FMCIB features for every row of a CSV of seeds, as fmcib.run.get_features: the input columns + "
      "pred_0 ... pred_4095");
  auto o = std::make_shared<engine::FeaturesOptions>();
  auto size = std::make_shared<std::vector<int64_t>>(std::vector<int64_t>{50, 50, 50});
  sub->add_option("--csv", o->csv,
                  "CSV with image_path, coordX, coordY, coordZ (LPS mm; other columns are kept)")
      ->required();
  sub->add_option("--weights", o->weights,
                  "model_weights.torch (Zenodo record 10528450; nothing is downloaded), or 'random' for a "
                  "seeded random-init trunk (a baseline)");
  sub->add_option("--seed", o->seed, "seed of --weights random")->capture_default_str();
  sub->add_option("--out", o->out, "output CSV (default: <csv name>_features.csv in the current folder)");
  sub->add_option("--batch-size", o->batchSize, "rows per forward pass")->capture_default_str();
  sub->add_option("--workers", o->workers, "loader threads (default: as the trainer plans them)");
  sub->add_option("--device", o->device, "auto (CUDA when there is one) | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda", "gpu"}))
      ->capture_default_str();
  sub->add_flag(
      "--precropped", o->precropped,
      "the images are patches already (no resampling, reorientation or crop; only image_path is read)");
  sub->add_option("--spatial-size", *size, "model input size z,y,x")
      ->delimiter(',')
      ->expected(3)
      ->capture_default_str();
  sub->add_flag("--strict", o->strict,
                "stop at the first bad row (default: report it, leave its pred_ cells empty)");
  sub->add_flag("-v,--verbose", global.verbosity, "debug logs");
  sub->callback([o, size, &global] {
    applyVerbosity(global);
    o->spatialSize = {(*size)[0], (*size)[1], (*size)[2]};
    if (o->weights.empty()) throw ConfigError(engine::missingWeightsMessage());
    if (o->out.empty()) o->out = engine::defaultFeaturesOut(o->csv);
    const engine::FeaturesSummary s = engine::extractFeatures(*o);
    const double rate = s.seconds > 0 ? static_cast<double>(s.rows) / s.seconds : 0.0;
    std::cout << "wrote " << s.rows << " rows (" << s.width << " features each) to " << o->out << " in "
              << s.seconds << " s (" << rate << " items/s on " << s.device << ")\n";
    if (s.failed > 0)
      std::cerr << "fmcib: " << s.failed << " of " << s.rows
                << " rows failed (listed above); their pred_ cells are empty\n";
  });
}

}  // namespace fmcib::cli
