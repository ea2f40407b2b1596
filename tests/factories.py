import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apikeys import keys
from apikeys.models import ApiKey, Partner, Permission
from tickets.models import Attachment, AuthorType, Branch, Comment, Customer, Service, Ticket, TicketStatus


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"PARTNER{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Partner {o.code}")
    webhook_secret = factory.LazyFunction(keys.generate_webhook_secret)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """An API key; the raw key is on `.raw_key` (only the factory ever knows it)."""

    class Meta:
        model = ApiKey

    partner = factory.SubFactory(PartnerFactory)
    name = "Test gateway"
    permissions = factory.LazyFunction(lambda: list(Permission.values))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        new_key = keys.generate_key()
        kwargs.setdefault("prefix", new_key.prefix)
        kwargs.setdefault("key_hash", new_key.digest)
        instance = super()._create(model_class, *args, **kwargs)
        instance.raw_key = new_key.raw
        return instance


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = "Jane"
    last_name = factory.Sequence(lambda n: f"Tech{n}")
    is_staff = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "John Doe"
    email = "john.doe@email.com"


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket with the reference data's service; needs the `reference_data` fixture."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"INC-2024-{n + 9000:04d}")
    public_id = factory.Sequence(lambda n: f"tkt_test{n:08d}")
    partner = factory.SubFactory(PartnerFactory)
    channel = "WHATSAPP"
    channel_reference_id = factory.Sequence(lambda n: f"WA-REF-{n}")
    service = factory.LazyFunction(lambda: Service.objects.get(service_type="INQUIRY"))
    support_group = factory.LazyAttribute(lambda o: o.service.support_group)
    branch = factory.LazyFunction(lambda: Branch.objects.get(code="001"))
    customer = factory.SubFactory(CustomerFactory)
    title = "Question about my account"
    description = "Customer asks about their account"
    priority = "MEDIUM"
    status = TicketStatus.OPEN
    response_target_minutes = 240
    resolution_target_minutes = 1440
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)
    response_deadline = factory.LazyAttribute(lambda o: o.created_at + timezone.timedelta(minutes=240))
    resolution_deadline = factory.LazyAttribute(lambda o: o.created_at + timezone.timedelta(minutes=1440))
    resolution_at_risk_at = factory.LazyAttribute(lambda o: o.created_at + timezone.timedelta(minutes=1080))


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    body = factory.Sequence(lambda n: f"Reply number {n}")
    author_type = AuthorType.AGENT
    author_name = "Jane Tech"
    created_at = factory.LazyFunction(timezone.now)


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    ticket = factory.SubFactory(TicketFactory)
    file = factory.django.FileField(filename="stored", data=b"%PDF-1.4 test")
    filename = factory.Sequence(lambda n: f"document-{n}.pdf")
    mime_type = "application/pdf"
    size = 13
    sha256 = "0" * 64
    uploaded_by_type = AuthorType.CUSTOMER
    uploaded_at = factory.LazyFunction(timezone.now)
