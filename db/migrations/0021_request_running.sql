CREATE TABLE "request_route_keys" (
	"project_id" uuid NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	CONSTRAINT "request_route_keys_project_id_app_environment_method_route_pk" PRIMARY KEY("project_id","app","environment","method","route")
);
--> statement-breakpoint
CREATE TABLE "request_running_daily" (
	"project_id" uuid NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"requests" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"buckets" smallint[] NOT NULL,
	"counts" bigint[] NOT NULL,
	CONSTRAINT "request_running_daily_project_id_app_environment_method_route_day_pk" PRIMARY KEY("project_id","app","environment","method","route","day")
);
--> statement-breakpoint
ALTER TABLE "request_route_keys" ADD CONSTRAINT "request_route_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_running_daily" ADD CONSTRAINT "request_running_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;