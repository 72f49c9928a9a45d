from django.contrib import admin

from .models import GeneratedImage, Generation, Lease


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    extra = 0
    can_delete = False
    readonly_fields = [
        "index",
        "original",
        "thumbnail",
        "width",
        "height",
        "bytes",
        "seed",
        "error_code",
        "error_message",
    ]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "model",
        "status",
        "short_prompt",
        "n",
        "image_count",
        "created_at",
    ]
    list_filter = ["status", "model", "created_at", "prompt_extend", "watermark"]
    search_fields = ["prompt", "negative_prompt", "actual_prompt", "task_id", "owner__username"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "task_id",
        "request_id",
        "submitted_at",
        "started_at",
        "finished_at",
        "completed_at",
        "task_seconds",
        "checks",
        "submit_attempts",
        "image_count",
        "results",
    ]
    inlines = [GeneratedImageInline]

    @admin.display(description="prompt")
    def short_prompt(self, obj: Generation) -> str:
        return obj.prompt[:60]


@admin.register(GeneratedImage)
class GeneratedImageAdmin(admin.ModelAdmin):
    list_display = ["generation", "index", "width", "height", "bytes", "error_code"]
    list_filter = ["error_code"]
    search_fields = ["generation__prompt"]
    raw_id_fields = ["generation"]


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "expires_at"]
