CREATE TABLE "error_group_users" (
	"group_id" uuid NOT NULL,
	"user_key" text NOT NULL,
	CONSTRAINT "error_group_users_group_id_user_key_pk" PRIMARY KEY("group_id","user_key")
);
--> statement-breakpoint
ALTER TABLE "error_groups" ADD COLUMN "users_affected" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "error_group_users" ADD CONSTRAINT "error_group_users_group_id_error_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."error_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "error_groups_project_users_idx" ON "error_groups" USING btree ("project_id","users_affected" DESC NULLS LAST,"id");