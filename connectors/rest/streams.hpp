// The two stream kinds of the `rest` connector (source.cpp, sink.cpp).
#pragma once

#include <memory>

#include "connectors/connector.hpp"

namespace synchub::connectors::rest {

class Api;
std::unique_ptr<SourceStream> open_rest_source(std::shared_ptr<Api> api, const config::Settings& settings);
std::unique_ptr<SinkStream> open_rest_sink(std::shared_ptr<Api> api, const config::Settings& settings);
// What is wrong with a `write.then` step ("METHOD path [JSON body]"), "" when nothing.
[[nodiscard]] std::string step_problem(const std::string& text);

}  // namespace synchub::connectors::rest
