CREATE TABLE "request_histograms_daily" (
	"project_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"failed" boolean NOT NULL,
	"bucket" smallint NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "request_histograms_daily_project_id_route_method_day_app_environment_failed_bucket_pk" PRIMARY KEY("project_id","route","method","day","app","environment","failed","bucket")
);
--> statement-breakpoint
CREATE TABLE "request_histograms_hourly" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"failed" boolean NOT NULL,
	"bucket" smallint NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "request_histograms_hourly_project_id_route_method_hour_app_environment_failed_bucket_pk" PRIMARY KEY("project_id","route","method","hour","app","environment","failed","bucket")
);
--> statement-breakpoint
CREATE TABLE "vital_histograms_daily" (
	"project_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"page" text NOT NULL,
	"name" text NOT NULL,
	"rating" text NOT NULL,
	"bucket" smallint NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "vital_histograms_daily_project_id_page_day_name_app_environment_rating_bucket_pk" PRIMARY KEY("project_id","page","day","name","app","environment","rating","bucket")
);
--> statement-breakpoint
CREATE TABLE "vital_histograms_hourly" (
	"project_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"app" text NOT NULL,
	"environment" text NOT NULL,
	"page" text NOT NULL,
	"name" text NOT NULL,
	"rating" text NOT NULL,
	"bucket" smallint NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "vital_histograms_hourly_project_id_page_hour_name_app_environment_rating_bucket_pk" PRIMARY KEY("project_id","page","hour","name","app","environment","rating","bucket")
);
--> statement-breakpoint
ALTER TABLE "request_histograms_daily" ADD CONSTRAINT "request_histograms_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_histograms_hourly" ADD CONSTRAINT "request_histograms_hourly_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vital_histograms_daily" ADD CONSTRAINT "vital_histograms_daily_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vital_histograms_hourly" ADD CONSTRAINT "vital_histograms_hourly_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_histograms_daily_time_idx" ON "request_histograms_daily" USING btree ("project_id","day");--> statement-breakpoint
CREATE INDEX "request_histograms_hourly_time_idx" ON "request_histograms_hourly" USING btree ("project_id","hour");--> statement-breakpoint
CREATE INDEX "vital_histograms_daily_name_idx" ON "vital_histograms_daily" USING btree ("project_id","name","day");--> statement-breakpoint
CREATE INDEX "vital_histograms_hourly_name_idx" ON "vital_histograms_hourly" USING btree ("project_id","name","hour");