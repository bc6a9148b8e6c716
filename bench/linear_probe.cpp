// linear_probe: the time of `fmcib linear-probe` on FMCIB-sized features (4096 columns), split into
// reading the CSVs and the fits (cross-validation over the C grid, refit, bootstrap).
//   bench_linear_probe [train_rows=1000] [classes=2] [solver=lbfgs|newton] [features=4096] [row_span=1]
// (row_span 0: L-BFGS on the features even when they are more than twice the rows).
// Synthetic features: ReLU of a random 40-dimensional latent projection plus noise (correlated and
// non-negative like averaged-pool activations), the latent shifted by the class.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "fmcib/probe/linear_probe.hpp"

namespace {

void writeFeatures(const std::string& path, const torch::Tensor& X, const torch::Tensor& y) {
  std::ofstream out(path);
  out << "id,label";
  for (int64_t j = 0; j < X.size(1); ++j) out << ",pred_" << j;
  out << "\n";
  const torch::Tensor Xc = X.contiguous();
  const float* d = Xc.data_ptr<float>();
  char buf[32];
  for (int64_t i = 0; i < X.size(0); ++i) {
    out << "row" << i << "," << y[i].item<int64_t>();
    for (int64_t j = 0; j < X.size(1); ++j) {
      std::snprintf(buf, sizeof buf, ",%.9g", static_cast<double>(d[i * X.size(1) + j]));
      out << buf;
    }
    out << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 1000;
  const int64_t classes = argc > 2 ? std::stoll(argv[2]) : 2;
  const std::string solver = argc > 3 ? argv[3] : "lbfgs";
  const int64_t d = argc > 4 ? std::stoll(argv[4]) : 4096;
  const bool rowSpan = argc > 5 ? std::stoi(argv[5]) != 0 : true;
  const int64_t nTest = 200;
  torch::manual_seed(0);
  const torch::Tensor y = torch::randint(0, classes, {n + nTest}, torch::kLong);
  torch::Tensor latent = torch::randn({n + nTest, 40});
  latent.narrow(1, 0, classes) += 1.5 * torch::one_hot(y, classes).to(torch::kFloat);
  const torch::Tensor X =
      torch::relu(torch::mm(latent, torch::randn({40, d})) / 6 + 0.3 * torch::randn({n + nTest, d}));
  const auto dir = std::filesystem::temp_directory_path() / "fmcib_bench_linear_probe";
  std::filesystem::create_directories(dir);
  const std::string train = (dir / "train.csv").string(), test = (dir / "test.csv").string();
  writeFeatures(train, X.narrow(0, 0, n), y.narrow(0, 0, n));
  writeFeatures(test, X.narrow(0, n, nTest), y.narrow(0, n, nTest));

  fmcib::probe::ProbeOptions o;
  o.trainPath = train;
  o.testPath = test;
  o.labelColumn = "label";
  o.solver.solver = solver == "newton" ? fmcib::probe::Solver::kNewton : fmcib::probe::Solver::kLbfgs;
  o.solver.tol = solver == "newton" ? 1e-8 : 1e-4;
  o.solver.rowSpanBasis = rowSpan;
  const char* basis = solver != "lbfgs" ? "" : rowSpan ? " (row span)" : " (features)";
  const auto t0 = std::chrono::steady_clock::now();
  fmcib::probe::readFeatureTable(train, {"label"});
  fmcib::probe::readFeatureTable(test, {"label"});
  const double read = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const fmcib::probe::ProbeResult r = fmcib::probe::runLinearProbe(o);
  std::cout << "train " << n << " x " << d << ", " << classes << " classes, solver " << solver << basis
            << ", threads " << torch::get_num_threads() << ": total " << r.seconds << " s (reading both CSVs "
            << read << " s, so fits + bootstrap " << r.seconds - read << " s); chosen C " << r.chosenC << ", "
            << r.metrics[0].name << " " << r.metrics[0].value << "\n";
  for (const auto& c : r.candidates) std::cout << "  C " << c.C << ": " << c.score << "\n";
  std::filesystem::remove_all(dir);
  return 0;
}
