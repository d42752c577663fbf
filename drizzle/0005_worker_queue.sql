CREATE TABLE `crawl_requests` (
	`job_id` integer NOT NULL,
	`key` text NOT NULL,
	PRIMARY KEY(`job_id`, `key`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `crawl_runs` (
	`job_id` integer PRIMARY KEY NOT NULL,
	`plan` text NOT NULL,
	`pending` integer NOT NULL,
	`list_pages` integer DEFAULT 0 NOT NULL,
	`items_read` integer DEFAULT 0 NOT NULL,
	`max_pages` integer,
	`max_items` integer,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `crawl_slots` (
	`job_id` integer NOT NULL,
	`slot` text NOT NULL,
	`result` text,
	PRIMARY KEY(`job_id`, `slot`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `crawl_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`parent_id` integer,
	`kind` text NOT NULL,
	`task` text NOT NULL,
	`status` text NOT NULL,
	`admitted` integer,
	`token` text,
	`lease_until` integer,
	`commit_id` text,
	`items` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `crawl_steps_job` ON `crawl_steps` (`job_id`,`status`);--> statement-breakpoint
CREATE INDEX `crawl_steps_parent` ON `crawl_steps` (`parent_id`);--> statement-breakpoint
CREATE TABLE `crawl_waiting` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`step_id` integer NOT NULL,
	`idx` integer NOT NULL,
	`item` text NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `crawl_waiting_step` ON `crawl_waiting` (`step_id`);--> statement-breakpoint
CREATE TABLE `crawl_waits` (
	`job_id` integer NOT NULL,
	`slot` text NOT NULL,
	`waiting_id` integer NOT NULL,
	`need` integer NOT NULL,
	PRIMARY KEY(`job_id`, `slot`, `waiting_id`, `need`),
	FOREIGN KEY (`waiting_id`) REFERENCES `crawl_waiting`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `crawl_waits_item` ON `crawl_waits` (`waiting_id`);--> statement-breakpoint
CREATE TABLE `host_slots` (
	`host` text NOT NULL,
	`lane` integer NOT NULL,
	`holder` text,
	`held_until` integer DEFAULT 0 NOT NULL,
	`next_start` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`host`, `lane`)
);
--> statement-breakpoint
CREATE TABLE `image_downloads` (
	`file_name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`lease_until` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `robots_cache` (
	`origin` text PRIMARY KEY NOT NULL,
	`status` integer NOT NULL,
	`location` text,
	`body` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `worker_invocations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`handler` text NOT NULL,
	`started_at` integer NOT NULL,
	`wall_ms` integer NOT NULL,
	`busy_ms` integer NOT NULL,
	`messages` integer NOT NULL,
	`budget` integer NOT NULL,
	`subrequests` integer NOT NULL,
	`fetches` integer NOT NULL,
	`database` integer NOT NULL,
	`storage` integer NOT NULL,
	`queue` integer NOT NULL,
	`carried` integer NOT NULL,
	`jobs` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `worker_invocations_started` ON `worker_invocations` (`started_at`);