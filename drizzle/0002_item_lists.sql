CREATE TABLE `data_versions` (
	`name` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `item_counts` (
	`class_id` integer NOT NULL,
	`source_id` integer NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`class_id`, `source_id`)
);
--> statement-breakpoint
DROP INDEX `items_source`;--> statement-breakpoint
DROP INDEX `items_class`;--> statement-breakpoint
CREATE INDEX `items_newest` ON `items` (`created_at`);--> statement-breakpoint
CREATE INDEX `items_source_newest` ON `items` (`source_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `items_class_newest` ON `items` (`class_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`);--> statement-breakpoint
CREATE INDEX `jobs_last_success` ON `jobs` (`source_id`,`finished_at`) WHERE kind = 'crawl' AND status = 'succeeded' AND dry_run = 0;