CREATE TABLE "project_users_daily" (
	"project_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"users" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "project_users_daily_project_id_day_pk" PRIMARY KEY("project_id","day")
);
--> statement-breakpoint
CREATE TABLE "session_users_daily" (
	"project_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"user_key" text NOT NULL,
	CONSTRAINT "session_users_daily_project_id_day_user_key_pk" PRIMARY KEY("project_id","day","user_key")
);
--> statement-breakpoint
ALTER TABLE "project_users_daily" ADD CONSTRAINT "project_users_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_users_daily" ADD CONSTRAINT "session_users_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;