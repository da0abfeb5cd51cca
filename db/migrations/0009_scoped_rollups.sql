CREATE TABLE "error_counts_hourly_by_scope" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"group_id" uuid NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "error_counts_hourly_by_scope_project_id_hour_app_environment_group_id_pk" PRIMARY KEY("project_id","hour","app","environment","group_id")
);
--> statement-breakpoint
CREATE TABLE "event_counts_hourly_by_scope" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"name" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "event_counts_hourly_by_scope_project_id_hour_app_environment_name_pk" PRIMARY KEY("project_id","hour","app","environment","name")
);
--> statement-breakpoint
CREATE TABLE "project_counts_hourly_by_scope" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"events" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"sessions" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "project_counts_hourly_by_scope_project_id_hour_app_environment_pk" PRIMARY KEY("project_id","hour","app","environment")
);
--> statement-breakpoint
CREATE TABLE "session_users_daily_by_scope" (
	"project_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"user_key" text NOT NULL,
	CONSTRAINT "session_users_daily_by_scope_project_id_day_app_environment_user_key_pk" PRIMARY KEY("project_id","day","app","environment","user_key")
);
--> statement-breakpoint
ALTER TABLE "error_counts_hourly_by_scope" ADD CONSTRAINT "error_counts_hourly_by_scope_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_counts_hourly_by_scope" ADD CONSTRAINT "event_counts_hourly_by_scope_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_counts_hourly_by_scope" ADD CONSTRAINT "project_counts_hourly_by_scope_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_users_daily_by_scope" ADD CONSTRAINT "session_users_daily_by_scope_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "error_counts_hourly_by_scope_group_idx" ON "error_counts_hourly_by_scope" USING btree ("group_id","hour");