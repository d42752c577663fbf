-- Custom (not generated from schema.ts): triggers that keep item_counts and data_versions right, whoever writes.
INSERT INTO item_counts (class_id, source_id, n) SELECT class_id, source_id, count(*) FROM items GROUP BY class_id, source_id;
--> statement-breakpoint
INSERT INTO data_versions (name, version) VALUES ('items', abs(random() % 1000000000)), ('definitions', abs(random() % 1000000000)), ('runtimes', abs(random() % 1000000000)), ('jobs', abs(random() % 1000000000)), ('logs', abs(random() % 1000000000));
--> statement-breakpoint
CREATE TRIGGER items_counted_insert AFTER INSERT ON items BEGIN
  INSERT INTO item_counts (class_id, source_id, n) VALUES (new.class_id, new.source_id, 1) ON CONFLICT (class_id, source_id) DO UPDATE SET n = n + 1;
  UPDATE data_versions SET version = version + 1 WHERE name = 'items';
END;
--> statement-breakpoint
CREATE TRIGGER items_counted_delete AFTER DELETE ON items BEGIN
  UPDATE item_counts SET n = n - 1 WHERE class_id = old.class_id AND source_id = old.source_id;
  UPDATE data_versions SET version = version + 1 WHERE name = 'items';
END;
--> statement-breakpoint
CREATE TRIGGER items_counted_move AFTER UPDATE OF class_id, source_id ON items BEGIN
  UPDATE item_counts SET n = n - 1 WHERE class_id = old.class_id AND source_id = old.source_id;
  INSERT INTO item_counts (class_id, source_id, n) VALUES (new.class_id, new.source_id, 1) ON CONFLICT (class_id, source_id) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER items_versioned_update AFTER UPDATE ON items BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'items';
END;
--> statement-breakpoint
CREATE TRIGGER item_images_versioned_insert AFTER INSERT ON item_images BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'items';
END;
--> statement-breakpoint
CREATE TRIGGER item_images_versioned_delete AFTER DELETE ON item_images BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'items';
END;
--> statement-breakpoint
CREATE TRIGGER classes_versioned_insert AFTER INSERT ON classes BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER classes_versioned_update AFTER UPDATE ON classes BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER classes_versioned_delete AFTER DELETE ON classes BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER scrapers_versioned_insert AFTER INSERT ON scrapers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER scrapers_versioned_update AFTER UPDATE ON scrapers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER scrapers_versioned_delete AFTER DELETE ON scrapers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER sources_versioned_insert AFTER INSERT ON sources BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER sources_versioned_update AFTER UPDATE ON sources BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER sources_versioned_delete AFTER DELETE ON sources BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER log_markers_versioned_insert AFTER INSERT ON log_markers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER log_markers_versioned_update AFTER UPDATE ON log_markers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER log_markers_versioned_delete AFTER DELETE ON log_markers BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'definitions';
END;
--> statement-breakpoint
CREATE TRIGGER runtimes_versioned_insert AFTER INSERT ON scheduler_runtimes WHEN new.runtime_type = 'S' BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'runtimes';
END;
--> statement-breakpoint
CREATE TRIGGER runtimes_versioned_update AFTER UPDATE ON scheduler_runtimes WHEN new.runtime_type = 'S' BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'runtimes';
END;
--> statement-breakpoint
CREATE TRIGGER runtimes_versioned_delete AFTER DELETE ON scheduler_runtimes WHEN old.runtime_type = 'S' BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'runtimes';
END;
--> statement-breakpoint
CREATE TRIGGER jobs_versioned_insert AFTER INSERT ON jobs BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'jobs';
END;
--> statement-breakpoint
CREATE TRIGGER jobs_versioned_update AFTER UPDATE ON jobs BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'jobs';
END;
--> statement-breakpoint
CREATE TRIGGER jobs_versioned_delete AFTER DELETE ON jobs BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'jobs';
END;
--> statement-breakpoint
CREATE TRIGGER logs_versioned_insert AFTER INSERT ON logs BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'logs';
END;
--> statement-breakpoint
CREATE TRIGGER logs_versioned_delete AFTER DELETE ON logs BEGIN
  UPDATE data_versions SET version = version + 1 WHERE name = 'logs';
END;
--> statement-breakpoint
CREATE TRIGGER sources_uncounted AFTER DELETE ON sources BEGIN
  DELETE FROM item_counts WHERE source_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER classes_uncounted AFTER DELETE ON classes BEGIN
  DELETE FROM item_counts WHERE class_id = old.id;
END;
