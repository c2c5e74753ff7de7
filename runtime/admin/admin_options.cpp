// The admin API's and the alerts' options from the validated config: every default is the
// spec's (config/hub_config.cpp: hub_fields, alert_fields), filled in by the loader.
#include "config/spec.hpp"
#include "runtime/admin/admin_api.hpp"
#include "runtime/admin/alerts.hpp"

namespace synchub::runtime {

AdminOptions AdminOptions::from(const config::Settings& hub) {
  AdminOptions admin;
  admin.viewer_tokens = hub.list("admin.viewer_tokens");
  admin.operator_tokens = hub.list("admin.operator_tokens");
  return admin;
}

AlertOptions AlertOptions::from(const config::Settings& alerts, const config::Settings& hub) {
  AlertOptions options;
  options.hub_name = hub.str("name");
  options.worker = hub.str_or("worker_id", "");
  options.url = alerts.str("webhook.url");
  options.format = alerts.str("webhook.format");
  options.secret = alerts.str_or("webhook.secret", "");  // optional: no secret, no signature
  options.timeout = alerts.duration("webhook.timeout");
  options.failing_for = alerts.duration("failing_for");
  options.lag_age = alerts.duration("lag_age");
  options.repeat = alerts.duration("repeat");
  options.check_every = alerts.duration("check_every");
  options.lag_events = alerts.integer("lag_events");
  options.dead_letters = alerts.integer("dead_letters");
  return options;
}

}  // namespace synchub::runtime
