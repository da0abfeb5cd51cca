CREATE TABLE "release_counts_hourly" (
	"project_id" uuid NOT NULL,
	"release" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"sessions" bigint DEFAULT 0 NOT NULL,
	"errored" bigint DEFAULT 0 NOT NULL,
	"crashed" bigint DEFAULT 0 NOT NULL,
	"abnormal" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "release_counts_hourly_project_id_release_hour_app_environment_pk" PRIMARY KEY("project_id","release","hour","app","environment")
);
--> statement-breakpoint
CREATE TABLE "release_users_daily" (
	"project_id" uuid NOT NULL,
	"release" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"user_key" text NOT NULL,
	"sessions" bigint DEFAULT 0 NOT NULL,
	"crashed" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "release_users_daily_project_id_release_day_app_environment_user_key_pk" PRIMARY KEY("project_id","release","day","app","environment","user_key")
);
--> statement-breakpoint
ALTER TABLE "error_groups" ADD COLUMN "first_release" text;--> statement-breakpoint
ALTER TABLE "release_counts_hourly" ADD CONSTRAINT "release_counts_hourly_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_users_daily" ADD CONSTRAINT "release_users_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_counts_hourly_project_hour_idx" ON "release_counts_hourly" USING btree ("project_id","hour");--> statement-breakpoint
CREATE INDEX "error_groups_project_first_release_idx" ON "error_groups" USING btree ("project_id","first_release");--> statement-breakpoint
CREATE INDEX "error_groups_project_last_release_idx" ON "error_groups" USING btree ("project_id","last_release");