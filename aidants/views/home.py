from django.shortcuts import redirect, render

from aidants import access
from aidants.views.auth import url_with_next


def home(request):
    user = request.user
    if not user.is_authenticated:
        return render(request, "aidants/home.html")
    if not user.is_verified():
        return redirect(url_with_next("aidants:otp", ""))
    structure = user.current_structure
    context = {
        "structure": structure,
        "is_referent": access.is_referent(user, structure),
        "has_habilitation": access.has_active_habilitation(user, structure),
        "structures": access.usable_structures(user),
        "can_use_staff_space": access.can_use_staff_space(user),
    }
    return render(request, "aidants/home.html", context)
