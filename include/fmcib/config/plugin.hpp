#pragma once
/// C++ plug-ins: fmcib's counterpart of lighter's `project:` (a Python package whose modules become
/// `_target_`s). A plug-in is a shared library that registers its own targets through this
/// registry; `project: path/to/libmyproject.so` in a config loads it before the config is checked.
///
///     #include "fmcib/config/plugin.hpp"
///     FMCIB_PLUGIN(registry) { registry.add({"myproject.Thing", "doc", {...}, build}); }
///
/// The library must be built with the same fmcib headers and LibTorch as the binary that loads it
/// (the interface number below says so); it links LibTorch but none of fmcib's libraries: the
/// binary exports their symbols.
#include <torch/version.h>

#include <string>

#include "fmcib/config/registry.hpp"

namespace fmcib::config {

/// Changes with fmcib's plug-in interface (the registry and Value) and with LibTorch's version.
constexpr int kPluginInterface = 1 * 1000000 + TORCH_VERSION_MAJOR * 1000 + TORCH_VERSION_MINOR;

/// Loads the plug-in at `path` and lets it register its targets into `registry`. Throws
/// ConfigError (naming the path) for anything that is not a loadable fmcib plug-in of this build,
/// or that registers a name `registry` already has.
void loadPlugin(const std::string& path, Registry& registry);

}  // namespace fmcib::config

#define FMCIB_PLUGIN(registry)                                                     \
  extern "C" __attribute__((visibility("default"))) int fmcib_plugin_interface() { \
    return ::fmcib::config::kPluginInterface;                                      \
  }                                                                                \
  extern "C" __attribute__((visibility("default"))) void fmcib_register_targets(   \
      ::fmcib::config::Registry& registry)
