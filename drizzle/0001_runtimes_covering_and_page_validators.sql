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
DROP INDEX `runtimes_due`;--> statement-breakpoint
CREATE INDEX `runtimes_due` ON `scheduler_runtimes` (`runtime_type`,`next_action_time`,`id`,`source_id`,`item_id`) WHERE runnable = 1;