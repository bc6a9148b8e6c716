// `fmcib targets [NAME]`: the registered `_target_` names, or one target's declared arguments.
#include <iostream>

#include "command.hpp"
#include "fmcib/config/plugin.hpp"
#include "fmcib/config/registry.hpp"
#include "targets.hpp"

namespace fmcib::cli {

void installTargetsCommand(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("targets", "list the registered _target_ names, or the arguments of one");
  auto name = std::make_shared<std::string>();
  sub->add_option("name", *name, "a _target_ name");
  auto project = std::make_shared<std::string>();
  sub->add_option("--project", *project, "also a plug-in's targets (a config's project: libX.so)");
  sub->callback([name, project] {
    registerAllTargets();
    auto& r = config::Registry::global();
    if (!project->empty()) config::loadPlugin(*project, r);
    if (name->empty()) {
      for (const auto& n : r.names()) std::cout << n << "\n";
      return;
    }
    const config::TargetSpec* spec = r.find(*name);
    if (!spec) throw ConfigError("unknown _target_ '" + *name + "'");
    std::cout << spec->name << ": " << spec->doc << "\n";
    for (const auto& a : spec->args) {
      std::cout << "  " << a.name << " (" << config::kindsName(a.kinds) << ")"
                << (a.required ? " required" : " = " + a.defaultValue.repr()) << "  " << a.doc << "\n";
      for (const auto& f : a.fields)
        std::cout << "    " << f.name << " (" << config::kindsName(f.kinds) << ")  " << f.doc << "\n";
    }
  });
}

}  // namespace fmcib::cli
