// A bounded fuzz of the checkpoint loader: thousands of mutated copies of a valid checkpoint (values
// swapped for other types and extreme numbers, keys removed or added, lists shortened), from a fixed
// seed, written with fmcib's own torch-file writer and resumed from. Every resume must either work
// or throw one of fmcib's typed errors, and a rejected checkpoint must leave the system unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "engine/checkpoint_support.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::Trainer;
using Path = std::vector<std::string>;

/// Every path below the root (dict keys, list and tuple positions), depth first.
void collectPaths(const c10::IValue& v, Path& at, std::vector<Path>& out) {
  if (v.isGenericDict()) {
    for (const auto& e : v.toGenericDict()) {
      at.push_back(e.key().isString() ? e.key().toStringRef() : std::to_string(e.key().toInt()));
      out.push_back(at);
      collectPaths(e.value(), at, out);
      at.pop_back();
    }
  } else if (v.isList()) {
    const auto items = v.toListRef();
    for (size_t i = 0; i < items.size(); ++i) {
      at.push_back(std::to_string(i));
      out.push_back(at);
      collectPaths(items[i], at, out);
      at.pop_back();
    }
  }
}

std::string joined(const Path& p) {
  std::string s;
  for (const auto& k : p) s += (s.empty() ? "" : ".") + k;
  return s;
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : gen_(seed) {}

  /// Applies one random mutation to `root`; returns what it did.
  std::string mutate(c10::IValue& root) {
    Path at;
    std::vector<Path> paths;
    collectPaths(root, at, paths);
    const Path& p = paths[pick(paths.size())];
    const c10::IValue old = fieldAt(root, p);
    const c10::IValue parent = fieldAt(root, {p.begin(), p.end() - 1});
    switch (pick(4)) {
      case 0:
        if (parent.isGenericDict()) {
          eraseField(root, p);
          return "removed " + joined(p);
        }
        [[fallthrough]];
      case 1: {
        const c10::IValue v = related(old);
        setField(root, p, v);
        return joined(p) + " = " + v.tagKind() + " (related)";
      }
      case 2:
        if (old.isGenericDict()) {
          auto d = old.toGenericDict();
          const bool intKey = pick(2) == 0;
          const c10::IValue key = intKey ? c10::IValue(int64_t{7}) : c10::IValue(std::string("extra"));
          d.insert_or_assign(key, any());
          return joined(p) + ": added a key";
        }
        if (old.isList() && old.toListRef().size() > 0) {
          auto l = old.toList();
          l.erase(l.end() - 1);
          return joined(p) + ": dropped its last element";
        }
        [[fallthrough]];
      default: {
        const c10::IValue v = any();
        setField(root, p, v);
        return joined(p) + " = " + v.tagKind();
      }
    }
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(gen_); }

  /// A value of any kind, often an extreme one.
  c10::IValue any() {
    const double nan = std::numeric_limits<double>::quiet_NaN(),
                 inf = std::numeric_limits<double>::infinity();
    switch (pick(20)) {
      case 0:
        return c10::IValue();
      case 1:
        return true;
      case 2:
        return int64_t{0};
      case 3:
        return int64_t{-1};
      case 4:
        return std::numeric_limits<int64_t>::max();
      case 5:
        return std::numeric_limits<int64_t>::min();
      case 6:
        return 1e300;
      case 7:
        return nan;
      case 8:
        return -inf;
      case 9:
        return std::string("x");
      case 10:
        return c10::impl::GenericList(c10::AnyType::get());
      case 11:
        return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
      case 12:
        return c10::ivalue::Tuple::create(int64_t{1}, int64_t{2});
      case 13:
        return torch::tensor(2.5);
      case 14:
        return torch::zeros({2, 2});
      case 15:
        return torch::zeros({5056}, torch::kByte);
      case 16:
        return torch::zeros({3}, torch::kComplexFloat);
      case 17:
        return torch::ones({4}, torch::kBool);
      case 18:
        return int64_t{1} << 40;
      default:
        return -3.5;
    }
  }

  /// A value close to `old`: a number nudged or flipped, a tensor of another dtype or with a NaN.
  c10::IValue related(const c10::IValue& old) {
    if (old.isInt()) {
      const int64_t v = old.toInt();
      switch (pick(4)) {
        case 0:
          return -v - 1;
        case 1:
          return v / 2 + 1;
        case 2:
          return static_cast<double>(v) + 0.5;
        default:
          return v + (int64_t{1} << 41);
      }
    }
    if (old.isDouble()) {
      const double v = old.toDouble();
      switch (pick(3)) {
        case 0:
          return -v - 1;
        case 1:
          return v * 1e10;
        default:
          return std::numeric_limits<double>::quiet_NaN();
      }
    }
    if (old.isTensor() && old.toTensor().defined()) {
      at::Tensor t = old.toTensor().clone();
      switch (pick(4)) {
        case 0:
          if (!t.is_floating_point()) return t.to(torch::kFloat);
          if (t.numel() > 0) t.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
          return t;
        case 1:
          return t.to(torch::kLong);
        case 2:
          return t.to(torch::kDouble);
        default:
          return t.numel() > 1 ? t.flatten().slice(0, 1) : torch::zeros({1, 1});
      }
    }
    return any();
  }

  std::mt19937_64 gen_;
};

TEST(CheckpointFuzz, MutatedCheckpointsResumeOrFailCleanly) {
  const fs::path dir = tempDir("engine_fuzz");
  auto freshSystem = [] {
    auto sys = statefulSystem();
    sys->datasets.erase("val");
    return sys;
  };
  auto fuzzOptions = [] {
    auto o = quietOptions(2);
    o.numSanityValSteps = 0;
    return o;
  };
  auto quietCheckpoint = [&] {
    engine::ModelCheckpointOptions o;
    o.dirpath = (dir / "out").string();
    o.everyNEpochs = 0;  // restores its state, never writes
    return std::make_shared<engine::ModelCheckpoint>(o);
  };
  {
    auto sys = freshSystem();
    auto save = checkpointTo(dir);
    Trainer t(fuzzOptions(), {save, earlyStopping("train/loss/epoch")}, {});
    ASSERT_EQ(t.fit(*sys, ctx()), 0);
  }
  const c10::IValue good = io::readTorchFile((dir / "last.ckpt").string());
  const std::string path = (dir / "mutated.ckpt").string();
  Mutator mutator(20240613);
  int loaded = 0, rejected = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) {
    c10::IValue copy = good.deepcopy();
    std::string what;
    const int n = 1 + i % 3;
    for (int m = 0; m < n; ++m) what += (what.empty() ? "" : "; ") + mutator.mutate(copy);
    std::string bytes;
    try {
      bytes = io::torchFileBytes(copy);
    } catch (const Error&) {
      continue;  // not writable as a torch file, so no file could hold it
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

    auto sys = freshSystem();
    const std::vector<at::Tensor> before = snapshot(*sys);
    const std::string optimizerBefore = io::torchFileBytes(sys->optimizer->state());
    Trainer t(fuzzOptions(), {quietCheckpoint(), earlyStopping("train/loss/epoch")}, {});
    try {
      t.fit(*sys, ctx(path));
      ++loaded;
    } catch (const InputError& e) {
      ++rejected;
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << what << ": " << msg;
      EXPECT_EQ(msg.find("INTERNAL ASSERT"), std::string::npos) << what << ": " << msg;
      EXPECT_TRUE(sameTensors(before, snapshot(*sys))) << what << ": the model changed";
      EXPECT_EQ(io::torchFileBytes(sys->optimizer->state()), optimizerBefore)
          << what << ": the optimizer changed";
    } catch (const Error&) {
      ++loaded;  // loaded, then the run stopped cleanly (e.g. an accepted extreme lr gave an infinite loss)
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << i << " (" << what << "): " << e.what();
    }
    if (HasFailure()) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "fuzzed " << loaded + rejected << " checkpoints: " << loaded << " resumed, " << rejected
            << " rejected, in " << seconds << " s\n";
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(loaded, 10);
}

}  // namespace
}  // namespace fmcib::test
