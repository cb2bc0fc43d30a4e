#include <ostream>

#include "cli/commands.h"
#include "config/model_config.h"
#include "core/time.h"
#include "io/csv_reader.h"

namespace mlloop::cli {

int ExitCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 2;
    case StatusCode::kNotFound: return 3;
    case StatusCode::kAlreadyExists: return 4;
    case StatusCode::kFailedPrecondition: return 5;
    case StatusCode::kUnavailable: return 6;
    case StatusCode::kDataLoss: return 7;
    case StatusCode::kInternal: return 1;
  }
  return 1;
}


Status RunCheck(const CheckArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto config, config::LoadModelConfig(args.config));
  out << args.config << ": ok: model '" << config.name << "', " << config.schema.features.size()
      << " features, " << core::TaskName(config.schema.label.task) << " label '"
      << config.schema.label.name << "', trigger " << config::TriggerToString(config.policy.trigger)
      << "\n";
  if (args.skip_data) return Status::Ok();
  if (config.data_path.empty()) {
    return Status::InvalidArgument(args.config + ": data.path is not set (use --no-data to check the YAML only)");
  }
  MLLOOP_ASSIGN_OR_RETURN(auto data, io::ReadCsv(config.data_path, config.schema));
  out << config.data_path << ": ok: " << data.rows() << " rows";
  if (data.rows() > 0) {
    out << ", " << core::FormatTimestamp(data.time.front()) << " .. "
        << core::FormatTimestamp(data.time.back());
  }
  out << "\n";
  return Status::Ok();
}

}  // namespace mlloop::cli
