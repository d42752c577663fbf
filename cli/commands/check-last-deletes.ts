import { lastDeleteAlerts } from "../../src/check/monitoring.ts";
import { monitoringCommand } from "./check-last-saves.ts";

export default monitoringCommand({
  name: "check-last-deletes",
  summary: "alert on scrapers whose checkers have not deleted an item within their last_checker_delete_alert_period",
  action: "checker delete",
  field: "last_checker_delete_alert_period",
  alertType: "last_deletes",
  scope: "Scrapers without checkers are skipped.",
  check: lastDeleteAlerts,
});
