CREATE TABLE "intake_outcomes" (
	"project_id" uuid NOT NULL,
	"month" text NOT NULL,
	"source" text NOT NULL,
	"category" text NOT NULL,
	"reason" text NOT NULL,
	"quantity" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "intake_outcomes_project_id_month_source_category_reason_pk" PRIMARY KEY("project_id","month","source","category","reason")
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "numeric_id" integer NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "projects_numeric_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "intake_outcomes" ADD CONSTRAINT "intake_outcomes_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "projects_numeric_id_unique" ON "projects" USING btree ("numeric_id");