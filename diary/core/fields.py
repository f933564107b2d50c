import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.expressions import Combinable
from django.db.models.lookups import Exact
from django.utils.text import capfirst

from diary import messages
from diary.core import crypto

SEPARATOR = "|"


class ChoiceSetField(models.CharField):
    """A set of choice codes, stored as "|a|b|" so `__contains="|a|"` filters on any database.

    In Python it is a sorted list of codes; forms show it as checkboxes.
    """

    # What a model's attribute holds, as django-stubs' plugin reads it: codes, not CharField's str.
    _pyi_private_set_type: list[str] | Combinable  # type: ignore[assignment]  # a list, stored as text
    _pyi_private_get_type: list[str]  # type: ignore[assignment]  # a list, stored as text

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 300:
            del kwargs["max_length"]
        if kwargs.get("default") is list:
            del kwargs["default"]
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> list[str]:
        return self.to_python(value)

    def to_python(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [code for code in value.split(SEPARATOR) if code]
        return sorted(set(value))

    def get_prep_value(self, value: Any) -> str:
        codes = self.to_python(value)
        return f"{SEPARATOR}{SEPARATOR.join(codes)}{SEPARATOR}" if codes else ""

    def validate(self, value: Any, model_instance: Any) -> None:
        allowed = {code for code, _label in self.flatchoices}
        unknown = [code for code in self.to_python(value) if code not in allowed]
        if unknown:
            raise ValidationError(messages.UNKNOWN_CHOICE, code="invalid_choice")
        if not self.blank and not value:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value: Any) -> None:
        # The stored form's length is what max_length guards.
        super().run_validators(self.get_prep_value(value))

    def value_to_string(self, obj: Any) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> forms.Field:
        assert self.choices is not None  # a set of choices is made with its choices
        return forms.TypedMultipleChoiceField(
            choices=self.choices,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            widget=forms.CheckboxSelectMultiple,
            **{k: v for k, v in kwargs.items() if k in ("help_text",)},
        )


class LimitedTextField(models.TextField):
    """A TextField whose max_length is enforced by model validation, not only by forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))


# EncryptedMixin is mixed into model fields; to the type checker it is a field already.
if TYPE_CHECKING:
    FieldMixinBase = models.Field
else:
    FieldMixinBase = object


class EncryptedMixin(FieldMixinBase):
    """Stores the value sealed with AES-GCM (diary.core.crypto) in a text column, bound to its table
    and column, and opens it once as each row is loaded. An empty value stays empty, so blank
    fields cost nothing; NULL stays NULL.

    The database sees only ciphertext, so it can neither search nor sort these columns: only
    `isnull` and comparison with the empty string are allowed (search uses the blind index,
    SearchIndexField; sorting happens in Python)."""

    def get_internal_type(self) -> str:
        return "TextField"

    def associated_data(self) -> bytes:
        return f"{self.model._meta.db_table}.{self.column}".encode()

    def to_text(self, value: Any) -> str | None:
        """A Python value as the text that is sealed."""
        return None if value is None else str(value)

    def from_text(self, text: str) -> Any:
        return text

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return self.from_text("")
        return self.from_text(crypto.open_text(value, self.associated_data()))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if hasattr(value, "as_sql"):
            return value
        if not prepared:
            value = self.get_prep_value(value)
        text = self.to_text(value)
        if not text:
            return text
        return crypto.seal_text(text, self.associated_data())

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return self.get_db_prep_value(value, connection, prepared=False)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EmptyOnlyExact
        return None


class EmptyOnlyExact(Exact):
    """`field=""` works on an encrypted column (blank stays blank); any other value would be
    compared with ciphertext and silently match nothing, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(ENCRYPTED_LOOKUP % {"field": self.lhs.target.name})
        return super().get_prep_lookup()


ENCRYPTED_LOOKUP = "%(field)s is encrypted: compare it only with an empty value."


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A short encrypted text: a one-line input, max_length checked on the plaintext."""


class EncryptedTextField(EncryptedMixin, LimitedTextField):
    """A long encrypted text: a textarea, max_length checked on the plaintext."""


class EncryptedDecimalField(EncryptedMixin, models.DecimalField):
    def to_text(self, value: Any) -> str | None:
        if value is None:
            return None
        return f"{value:.{self.decimal_places}f}"

    def from_text(self, text: str) -> Decimal | None:
        return Decimal(text) if text else None


class EncryptedJSONField(EncryptedMixin, models.Field):
    """A JSON document (a dict or list), encrypted whole; it is never queried inside."""

    def to_text(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def from_text(self, text: str) -> Any:
        return json.loads(text) if text else None

    def get_prep_value(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> Any:
        # As JSONField: serializers (dumpdata, backups) get the document, not its repr.
        return self.value_from_object(obj)


class WrappedKeyField(models.CharField):
    """A stored file's own key, wrapped by a master key (diary.core.crypto). Not secret by itself;
    `rotate_keys` re-wraps it under the current master key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key, default in (("max_length", 120), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                del kwargs[key]
        return name, path, args, kwargs


class SearchIndexField(models.TextField):
    """The blind index of a row's text (diary.core.crypto.index_value), filled in from the row's
    `sources` each time it is saved, scoped by the value at the dotted path `scope` (its
    diary). Search matches whole words, or the first three letters or more of a word."""

    def __init__(self, *args: Any, sources: tuple[str, ...] = (), scope: str = "", **kwargs: Any):
        self.sources, self.scope = tuple(sources), scope
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("blank", None)
        kwargs.pop("editable", None)
        kwargs["sources"], kwargs["scope"] = list(self.sources), self.scope
        return name, path, args, kwargs

    def value_for(self, instance: Any, scope: Any = None) -> str:
        if scope is None:
            scope = instance
            for part in self.scope.split("."):
                scope = getattr(scope, part)
        return crypto.index_value((getattr(instance, name) for name in self.sources), str(scope))

    def pre_save(self, model_instance: Any, add: bool) -> str:
        value = self.value_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value
