// pytorch_lightning.callbacks.ModelCheckpoint (Lightning 2.0 semantics).
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <regex>
#include <set>

#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/optim/state_fields.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

namespace {

std::string pyRepr(const std::optional<std::string>& s) {
  return s ? "'" + *s + "'" : "None";
}

/// Python's format spec subset used in checkpoint names: [0][width][.precision][d|f|e|g].
std::string formatValue(double v, const std::string& spec, bool integral) {
  static const std::regex re(R"(^(0?)(\d*)(?:\.(\d+))?([dfeg]?)$)");
  std::smatch m;
  char buf[64];
  if (spec.empty() || !std::regex_match(spec, m, re)) {
    if (integral)
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
    else
      std::snprintf(buf, sizeof buf, "%.4f", v);  // a tensor's str-format in names
    return buf;
  }
  std::string fmt = "%";
  fmt += m[1].str() + m[2].str();
  char conv = m[4].str().empty() ? (integral ? 'd' : 'g') : m[4].str()[0];
  if (m[3].matched) fmt += "." + m[3].str();
  if (conv == 'd') {
    fmt += "lld";
    std::snprintf(buf, sizeof buf, fmt.c_str(), static_cast<long long>(std::llround(v)));
  } else {
    fmt += conv;
    std::snprintf(buf, sizeof buf, fmt.c_str(), v);
  }
  return buf;
}

}  // namespace

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : options_(std::move(options)) {
  if (options_.mode != "min" && options_.mode != "max")
    throw ConfigError("ModelCheckpoint: mode must be 'min' or 'max', got '" + options_.mode + "'");
  if (options_.saveTopK < -1) throw ConfigError("ModelCheckpoint: save_top_k must be >= -1");
  if (!options_.monitor && options_.saveTopK > 1)
    throw ConfigError("ModelCheckpoint(save_top_k=" + std::to_string(options_.saveTopK) +
                      ", monitor=None) is not a valid configuration: set a monitor to keep the best k");
  if (options_.everyNTrainSteps < 0 || options_.everyNEpochs < 0)
    throw ConfigError("ModelCheckpoint: every_n_train_steps and every_n_epochs must be >= 0");
  if (options_.filename.empty()) options_.filename = "{epoch}-{step}";
}

std::string ModelCheckpoint::stateKey() const {
  return "ModelCheckpoint{'monitor': " + pyRepr(options_.monitor) + ", 'mode': '" + options_.mode +
         "', 'every_n_train_steps': " + std::to_string(options_.everyNTrainSteps) +
         ", 'every_n_epochs': " + std::to_string(options_.everyNEpochs) + ", 'train_time_interval': None}";
}

std::string ModelCheckpoint::checkpointDir(Trainer& trainer) {
  if (dirpath_.empty()) {
    if (!options_.dirpath.empty())
      dirpath_ = options_.dirpath;
    else if (!trainer.loggers().empty() && !trainer.fastDevRun())
      dirpath_ = (fs::path(trainer.logDir()) / "checkpoints").string();
    else
      dirpath_ = (fs::path(trainer.options().defaultRootDir) / "checkpoints").string();
  }
  return dirpath_;
}

namespace {
/// The same folder, however it is spelled (relative, with `..`, through a link).
bool sameFolder(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a, ea), ea);
  const fs::path cb = fs::weakly_canonical(fs::absolute(b, eb), eb);
  return !ea && !eb && ca == cb;
}
}  // namespace

void ModelCheckpoint::adoptRestored(Trainer& trainer) {
  if (adopted_) return;
  adopted_ = true;
  const std::string dir = checkpointDir(trainer);
  if (!restored_) return;
  if (!sameFolder(restored_->dirpath, dir)) {
    if (!restored_->dirpath.empty())
      spdlog::info(
          "ModelCheckpoint: the checkpoint's folder {} is not this run's {}: its files are left as "
          "they are and this run keeps its own best-k list",
          restored_->dirpath, dir);
    return;
  }
  // The same folder: the restored scores keep ranking (their files stay, whatever happens).
  continues_ = true;
  for (const auto& [p, score] : restored_->bestK)
    if (sameFolder(fs::path(p).parent_path().string(), dir)) bestK_[p] = score;
  bestModelPath_ = restored_->bestModelPath;
  bestModelScore_ = restored_->bestModelScore;
  lastModelPath_ = restored_->lastModelPath;
}

void ModelCheckpoint::onFitStart(Trainer& trainer) {
  adoptRestored(trainer);
  if (trainer.isGlobalZero()) io::removeStaleTemporaries(checkpointDir(trainer));
}

bool ModelCheckpoint::saveOnTrainEpochEnd(Trainer& trainer) const {
  if (options_.saveOnTrainEpochEnd) return *options_.saveOnTrainEpochEnd;
  if (trainer.options().checkValEveryNEpoch != 1) return false;
  return !trainer.system().dataset("val");  // no validation: save at the end of training epochs
}

std::map<std::string, double> ModelCheckpoint::candidates(Trainer& trainer) const {
  std::map<std::string, double> c = trainer.callbackMetrics();
  c["epoch"] = static_cast<double>(trainer.state().epoch);
  c["step"] = static_cast<double>(trainer.state().globalStep);
  return c;
}

std::string ModelCheckpoint::formatName(const std::map<std::string, double>& values,
                                        const std::string& templ) const {
  static const std::regex group(R"(\{([^{}:]+)(?::([^{}]*))?\})");
  std::string out;
  auto begin = std::sregex_iterator(templ.begin(), templ.end(), group);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += templ.substr(last, static_cast<size_t>(m.position()) - last);
    const std::string key = m[1].str();
    auto v = values.find(key);
    const double value = v == values.end() ? 0.0 : v->second;
    const bool integral = key == "epoch" || key == "step";
    if (options_.autoInsertMetricName) out += key + "=";
    out += formatValue(value, m[2].str(), integral);
    last = static_cast<size_t>(m.position() + m.length());
  }
  out += templ.substr(last);
  return out + ".ckpt";
}

// Lightning's version counter: a file of that name this process did not write (a previous run into
// the same folder) is kept, and the new checkpoint becomes name-v1.ckpt, -v2, ...
std::string ModelCheckpoint::unusedName(const std::string& path) const {
  std::error_code ec;
  auto free = [&](const std::string& p) {
    return written_.count(p) || !fs::exists(fs::symlink_status(p, ec));
  };
  if (free(path)) return path;
  const std::string stem = path.substr(0, path.size() - std::string(".ckpt").size());
  for (int v = 1;; ++v) {
    const std::string candidate = stem + "-v" + std::to_string(v) + ".ckpt";
    if (free(candidate)) return candidate;
  }
}

void ModelCheckpoint::writeCheckpoint(Trainer& trainer, const std::string& path) {
  trainer.saveCheckpoint(path);
  written_.insert(path);
}

void ModelCheckpoint::removeOwn(Trainer& trainer, const std::string& path) {
  if (path.empty() || !trainer.isGlobalZero()) return;
  if (!written_.count(path) || !sameFolder(fs::path(path).parent_path().string(), dirpath_)) {
    spdlog::debug("ModelCheckpoint: {} was not written by this run; kept", path);
    return;
  }
  std::error_code ec;
  fs::remove(path, ec);
  written_.erase(path);
}

bool ModelCheckpoint::better(double a, double b) const {
  return options_.mode == "min" ? a < b : a > b;
}

void ModelCheckpoint::save(Trainer& trainer) {
  if (trainer.fastDevRun() || trainer.state().stage != "fit") return;
  if (lastGlobalStepSaved_ == trainer.state().globalStep) return;
  adoptRestored(trainer);
  const std::map<std::string, double> values = candidates(trainer);
  const fs::path dir = checkpointDir(trainer);
  bool saved = false;
  if (options_.saveTopK != 0) {
    const std::string path = unusedName((dir / formatName(values, options_.filename)).string());
    if (!options_.monitor) {
      const std::string previous = bestModelPath_;
      writeCheckpoint(trainer, path);
      saved = true;
      bestModelPath_ = path;
      if (options_.saveTopK == 1 && previous != path) removeOwn(trainer, previous);
      if (options_.verbose)
        spdlog::info("epoch {}, step {}: saving model to {}", trainer.state().epoch,
                     trainer.state().globalStep, path);
    } else {
      auto cur = values.find(*options_.monitor);
      if (cur == values.end()) {
        std::string keys;
        for (const auto& [k, v] : values) keys += (keys.empty() ? "" : ", ") + k;
        throw ConfigError("ModelCheckpoint(monitor='" + *options_.monitor +
                          "') could not find the monitored key in the logged metrics: " + keys);
      }
      double score = cur->second;
      if (std::isnan(score))
        score = options_.mode == "min" ? std::numeric_limits<double>::infinity()
                                       : -std::numeric_limits<double>::infinity();
      const bool full = options_.saveTopK != -1 && static_cast<int64_t>(bestK_.size()) >= options_.saveTopK;
      std::string worstPath;
      if (full) {
        for (const auto& [p, s] : bestK_)
          if (worstPath.empty() || better(bestK_[worstPath], s)) worstPath = p;
      }
      if (!full || better(score, bestK_[worstPath])) {
        writeCheckpoint(trainer, path);
        saved = true;
        if (full && worstPath != path) {
          bestK_.erase(worstPath);
          removeOwn(trainer, worstPath);
        }
        bestK_[path] = score;
        bestModelScore_.reset();
        for (const auto& [p, s] : bestK_)
          if (!bestModelScore_ || better(s, *bestModelScore_)) {
            bestModelScore_ = s;
            bestModelPath_ = p;
          }
        if (options_.verbose)
          spdlog::info("epoch {}, step {}: '{}' reached {} (best {}), saving model to {}",
                       trainer.state().epoch, trainer.state().globalStep, *options_.monitor, score,
                       *bestModelScore_, path);
      } else if (options_.verbose) {
        spdlog::info("epoch {}, step {}: '{}' was not in top {}", trainer.state().epoch,
                     trainer.state().globalStep, *options_.monitor, options_.saveTopK);
      }
    }
  }
  if (options_.saveLast) {
    const std::string last = lastCheckpointPath(trainer);
    writeCheckpoint(trainer, last);
    lastModelPath_ = last;
    saved = true;
  }
  if (saved) lastGlobalStepSaved_ = trainer.state().globalStep;
}

std::string ModelCheckpoint::lastCheckpointPath(Trainer& trainer) {
  adoptRestored(trainer);
  // A resumed run continues its own last.ckpt; a fresh run keeps another run's as it is.
  const std::string last = (fs::path(checkpointDir(trainer)) / "last.ckpt").string();
  return continues_ ? last : unusedName(last);
}

void ModelCheckpoint::onTrainStepEnd(Trainer& trainer) {
  const int64_t n = options_.everyNTrainSteps;
  if (n >= 1 && trainer.state().globalStep % n == 0) save(trainer);
}

void ModelCheckpoint::onValidationEnd(Trainer& trainer) {
  if (saveOnTrainEpochEnd(trainer)) return;
  const int64_t n = options_.everyNEpochs;
  if (n >= 1 && (trainer.state().epoch + 1) % n == 0) save(trainer);
}

void ModelCheckpoint::onTrainEpochEnd(Trainer& trainer) {
  if (!saveOnTrainEpochEnd(trainer)) return;
  const int64_t n = options_.everyNEpochs;
  if (n >= 1 && (trainer.state().epoch + 1) % n == 0) save(trainer);
}

c10::impl::GenericDict ModelCheckpoint::state() const {
  c10::impl::GenericDict d = io::makeStringDict();
  d.insert("monitor", options_.monitor ? c10::IValue(*options_.monitor) : c10::IValue());
  d.insert("best_model_score", bestModelScore_ ? c10::IValue(*bestModelScore_) : c10::IValue());
  d.insert("best_model_path", bestModelPath_);
  d.insert("dirpath", dirpath_);
  d.insert("last_model_path", lastModelPath_);
  c10::impl::GenericDict k = io::makeStringDict();
  for (const auto& [p, s] : bestK_) k.insert(p, s);
  d.insert("best_k_models", k);
  return d;
}

std::function<void()> ModelCheckpoint::prepareLoad(const c10::impl::GenericDict& state,
                                                   const std::string& where) {
  const optim::StateDict d(state, where);
  auto text = [&](const char* key) -> std::string {
    const c10::IValue* v = d.find(key);
    if (!v || v->isNone()) return "";
    if (!v->isString())
      throw InputError(d.keyPath(key) + ": expected a path, got " + optim::describeValue(*v));
    return v->toStringRef();
  };
  Restored r;
  r.dirpath = text("dirpath");
  r.bestModelPath = text("best_model_path");
  r.lastModelPath = text("last_model_path");
  if (const c10::IValue* v = d.find("best_model_score"); v && !v->isNone())
    r.bestModelScore = d.number("best_model_score", -optim::kInf, optim::kInf, /*allowInfinite=*/true);
  if (d.has("best_k_models")) {
    const optim::StateDict k = d.dict("best_k_models");
    for (const auto& e : k.raw()) {
      if (!e.key().isString())
        throw InputError(k.path() + ": a key (" + optim::describeValue(e.key()) + ") is not a path");
      const std::string& p = e.key().toStringRef();
      r.bestK[p] = optim::stateNumber(e.value(), k.keyPath(p), -optim::kInf, optim::kInf, true);
    }
  }
  return [this, r] { restored_ = r; };
}

}  // namespace fmcib::engine
