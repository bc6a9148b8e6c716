// `fmcib export-weights --checkpoint X --out model_weights.torch`: a training checkpoint's trunk
// (and heads) in the published FMCIB layout, so Python fmcib's LoadModel can use weights trained here.
#include <iostream>

#include "command.hpp"
#include "fmcib/models/load_model.hpp"

namespace fmcib::cli {

void installExportWeightsCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "export-weights",
      "write a checkpoint's trunk (and heads) as {trunk_state_dict, head_state_dict} for fmcib's LoadModel");
  auto checkpoint = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  sub->add_option("--checkpoint", *checkpoint, "a checkpoint written by fit (or by lighter/Lightning)")
      ->required();
  sub->add_option("--out", *out, "the weights file to write (e.g. model_weights.torch)")->required();
  sub->callback([checkpoint, out] {
    const models::ExportSummary s = models::exportPublishedWeights(*checkpoint, *out);
    std::cout << "wrote " << *out << ": trunk_state_dict (" << s.trunkTensors << " tensors from "
              << s.trunkPrefix << "*)";
    if (s.headTensors) std::cout << ", head_state_dict (" << s.headTensors << " tensors from model.heads.*)";
    std::cout << "\n";
  });
}

}  // namespace fmcib::cli
