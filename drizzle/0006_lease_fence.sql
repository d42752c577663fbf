-- A fence for the writes of a run: inserting (job_id, attempt) into job_lease_checks fails the statement (and
-- rolls back the batch it is part of) unless the job is still the run's: under that attempt, and running (or
-- cancelled by a user, whose run stores what it has read whole until it notices). A run that lost its lease
-- (declared dead while it was only slow) can then write nothing more, even before it finds out.
CREATE VIEW `job_lease_checks` AS SELECT NULL AS `job_id`, NULL AS `attempt`;--> statement-breakpoint
CREATE TRIGGER `job_lease_checks_insert` INSTEAD OF INSERT ON `job_lease_checks`
BEGIN
  SELECT RAISE(ABORT, 'job lease lost') WHERE NOT EXISTS (SELECT 1 FROM `jobs` WHERE `id` = NEW.`job_id` AND `attempt` = NEW.`attempt` AND `status` IN ('running', 'cancelled'));
END;
