CREATE TABLE "auth_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "error_counts_hourly" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"group_id" uuid NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "error_counts_hourly_project_id_hour_group_id_pk" PRIMARY KEY("project_id","hour","group_id")
);
--> statement-breakpoint
CREATE TABLE "event_counts_hourly" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"name" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "event_counts_hourly_project_id_hour_name_pk" PRIMARY KEY("project_id","hour","name")
);
--> statement-breakpoint
CREATE TABLE "project_dimensions" (
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "project_dimensions_project_id_kind_value_pk" PRIMARY KEY("project_id","kind","value")
);
--> statement-breakpoint
ALTER TABLE "error_counts_hourly" ADD CONSTRAINT "error_counts_hourly_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_counts_hourly" ADD CONSTRAINT "event_counts_hourly_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_dimensions" ADD CONSTRAINT "project_dimensions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "error_counts_hourly_group_idx" ON "error_counts_hourly" USING btree ("group_id","hour");--> statement-breakpoint
CREATE INDEX "error_groups_project_first_seen_idx" ON "error_groups" USING btree ("project_id","first_seen" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "error_groups_project_occurrences_idx" ON "error_groups" USING btree ("project_id","occurrences" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "error_occurrences_project_session_idx" ON "error_occurrences" USING btree ("project_id","session_id","timestamp");