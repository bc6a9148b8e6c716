#include "command.hpp"

namespace fmcib::cli {

void installCommands(CLI::App& app, GlobalOptions& global) {
  installRunCommands(app, global);
  installTargetsCommand(app);
  installExportWeightsCommand(app);
  installMakeDemoDataCommand(app);
  installExportPatchesCommand(app, global);
  installBenchmarkCommand(app, global);
  installCheckDataCommand(app, global);
  installPreviewCommand(app, global);
  installPlotCommand(app);
  installFeaturesCommand(app, global);
  installLinearProbeCommand(app);
  installEvaluateCommands(app);
}

}  // namespace fmcib::cli
