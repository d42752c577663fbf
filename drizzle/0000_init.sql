CREATE TABLE `classes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `classes_name_unique` ON `classes` (`name`);--> statement-breakpoint
CREATE TABLE `item_images` (
	`item_id` integer NOT NULL,
	`key` text NOT NULL,
	PRIMARY KEY(`item_id`, `key`),
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `item_images_key` ON `item_images` (`key`);--> statement-breakpoint
CREATE TABLE `items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`class_id` integer NOT NULL,
	`source_id` integer NOT NULL,
	`unique_key` text NOT NULL,
	`url` text,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`class_id`) REFERENCES `classes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `items_unique_key_unique` ON `items` (`unique_key`);--> statement-breakpoint
CREATE INDEX `items_source` ON `items` (`source_id`);--> statement-breakpoint
CREATE INDEX `items_class` ON `items` (`class_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`source_id` integer,
	`scraper_id` integer,
	`item_id` integer,
	`dry_run` integer DEFAULT false NOT NULL,
	`update_schedule` integer DEFAULT false NOT NULL,
	`params` text NOT NULL,
	`stats` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`heartbeat_at` integer,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`scraper_id`) REFERENCES `scrapers`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_one_crawl_per_source` ON `jobs` (`source_id`) WHERE kind = 'crawl' AND status IN ('queued', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_one_check_per_item` ON `jobs` (`item_id`) WHERE kind = 'check' AND status IN ('queued', 'running');--> statement-breakpoint
CREATE INDEX `jobs_active` ON `jobs` (`status`,`heartbeat_at`) WHERE status IN ('queued', 'running');--> statement-breakpoint
CREATE INDEX `jobs_created` ON `jobs` (`created_at`);--> statement-breakpoint
CREATE TABLE `log_markers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_contains` text NOT NULL,
	`ref_object` text,
	`scraper_id` integer,
	`mark_with_type` text NOT NULL,
	`custom_type` text,
	FOREIGN KEY (`scraper_id`) REFERENCES `scrapers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message` text NOT NULL,
	`ref_object` text,
	`type` text,
	`level` text NOT NULL,
	`scraper_id` integer,
	`job_id` integer,
	`date` integer NOT NULL,
	FOREIGN KEY (`scraper_id`) REFERENCES `scrapers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `logs_scraper` ON `logs` (`scraper_id`,`id`);--> statement-breakpoint
CREATE INDEX `logs_job` ON `logs` (`job_id`);--> statement-breakpoint
CREATE TABLE `page_validators` (
	`source_id` integer NOT NULL,
	`request_key` text NOT NULL,
	`etag` text,
	`last_modified` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`source_id`, `request_key`),
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `scheduler_runtimes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`runtime_type` text NOT NULL,
	`source_id` integer,
	`item_id` integer,
	`runnable` integer NOT NULL,
	`next_action_time` integer NOT NULL,
	`next_action_factor` real,
	`num_zero_actions` integer DEFAULT 0 NOT NULL,
	`num_404` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "runtimes_owner" CHECK((runtime_type = 'S' AND source_id IS NOT NULL AND item_id IS NULL) OR (runtime_type = 'C' AND item_id IS NOT NULL AND source_id IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runtimes_source` ON `scheduler_runtimes` (`source_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `runtimes_item` ON `scheduler_runtimes` (`item_id`);--> statement-breakpoint
CREATE INDEX `runtimes_due` ON `scheduler_runtimes` (`runtime_type`,`next_action_time`,`id`,`source_id`,`item_id`) WHERE runnable = 1;--> statement-breakpoint
CREATE TABLE `scrapers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`class_id` integer NOT NULL,
	`status` text NOT NULL,
	`definition` text NOT NULL,
	`last_scraper_save` integer,
	`last_checker_delete` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`class_id`) REFERENCES `classes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scrapers_name_unique` ON `scrapers` (`name`);--> statement-breakpoint
CREATE INDEX `scrapers_class` ON `scrapers` (`class_id`);--> statement-breakpoint
CREATE TABLE `sources` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`scraper_id` integer NOT NULL,
	`url` text NOT NULL,
	`urls` text NOT NULL,
	`active` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`scraper_id`) REFERENCES `scrapers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sources_name_unique` ON `sources` (`name`);--> statement-breakpoint
CREATE INDEX `sources_scraper` ON `sources` (`scraper_id`);