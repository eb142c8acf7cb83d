# Legacy: bounds the score to 0..1 (validators only; the column is unchanged).
from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rr", "0002_checklist_rr_checklis_user_id_f9470d_idx")]

    operations = [
        migrations.AlterField(
            model_name="checklist",
            name="score",
            field=models.DecimalField(
                decimal_places=4,
                default=Decimal("1"),
                max_digits=5,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1")),
                ],
            ),
        ),
    ]
