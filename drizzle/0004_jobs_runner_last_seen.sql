ALTER TABLE `items` ADD `last_seen_at` integer;--> statement-breakpoint
CREATE INDEX `items_last_seen` ON `items` (`last_seen_at`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `runner` text;--> statement-breakpoint
CREATE INDEX `jobs_source` ON `jobs` (`source_id`,`id`);--> statement-breakpoint
-- Items stored before last_seen_at existed were last seen, at the latest, when they were last written.
UPDATE `items` SET `last_seen_at` = `updated_at` WHERE `last_seen_at` IS NULL;
